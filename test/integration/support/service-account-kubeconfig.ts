// A kubeconfig that authenticates as a ServiceAccount (a TokenRequest token), so a program under test
// reaches the API server with exactly that account's RBAC, as it would from its pod.
import * as fs from 'fs';
import type { KubeApi } from '../../e2e/support/kube-api';

/** Writes `file` for `namespace/serviceAccount`, pointing at `server` (default: the admin's). */
export async function writeServiceAccountKubeconfig(admin: KubeApi, namespace: string, serviceAccount: string, file: string, server = admin.credentials.server.origin): Promise<void> {
  const token = await admin.create(`/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } });
  fs.writeFileSync(file, JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { 'server': server, 'certificate-authority-data': admin.credentials.ca!.toString('base64') } }],
    users: [{ name: serviceAccount, user: { token: token.status.token } }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: serviceAccount, namespace } }],
    'current-context': 'c',
  }));
}
