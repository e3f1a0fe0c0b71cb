// The staging server (issue 7) as a process of the bundled image program, against the real API
// server, with a ServiceAccount that may only get and patch its one tokens Secret: it fills the empty
// Secret with both tokens, accepts them (and nothing else), follows a rotation of the Secret, and
// stays unready, without tokens, when its Secret is one it may not read.
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KubeApi, loadKubeconfig } from '../e2e/support/kube-api';
import { READ_TOKEN_KEY, STAGING_TOKEN_HEADER, UPLOAD_TOKEN_KEY } from '../../lib/core/staging/protocol';
import { bundleImageProgram, ImageProgramProcess } from '../support/image-program';
import { connection } from './support/cluster-env';
import { createRestrictedNamespace, deleteNamespace, waitFor } from './support/kube';
import { writeServiceAccountKubeconfig } from './support/service-account-kubeconfig';

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const decode = (value: string | undefined) => Buffer.from(value ?? '', 'base64').toString('utf8');

describe('the staging server\'s tokens Secret on the real control plane', () => {
  const admin = new KubeApi(loadKubeconfig(connection().kubeconfig));
  let namespace: string;
  let root: string;
  let bundle: string;
  const servers: ImageProgramProcess[] = [];

  beforeAll(async () => {
    namespace = await createRestrictedNamespace('sp-staging');
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-staging-it-'));
    bundle = await bundleImageProgram();
    // The identity the renderer gives the server: get and patch on its one Secret, nothing else.
    await admin.create(`/api/v1/namespaces/${namespace}/serviceaccounts`, { metadata: { name: 'staging' } });
    await admin.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles`, { metadata: { name: 'staging' }, rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: ['staging-tokens'], verbs: ['get', 'patch'] }] });
    await admin.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`, { metadata: { name: 'staging' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'staging' }, subjects: [{ kind: 'ServiceAccount', name: 'staging', namespace }] });
    for (const name of ['staging-tokens', 'other-secret']) await admin.create(`/api/v1/namespaces/${namespace}/secrets`, { metadata: { name }, type: 'Opaque' });
    await writeServiceAccountKubeconfig(admin, namespace, 'staging', path.join(root, 'kubeconfig'));
  });

  afterAll(async () => {
    for (const server of servers) await server.kill();
    admin.close();
    deleteNamespace(namespace);
    fs.rmSync(root, { recursive: true, force: true });
  });

  const start = (secret: string, storage: string) => {
    const server = new ImageProgramProcess(bundle, ['staging-server'], {
      PATH: process.env.PATH, KUBECONFIG: path.join(root, 'kubeconfig'),
      SPARKPLANE_STAGING_DIR: path.join(root, storage), SPARKPLANE_STAGING_TOKENS_SECRET: secret, SPARKPLANE_STAGING_TOKEN_REFRESH: '500ms',
      SPARKPLANE_STAGING_PORT: '0', SPARKPLANE_STAGING_METRICS_PORT: '0', SPARKPLANE_STAGING_HOST: '127.0.0.1', SPARKPLANE_STAGING_MIN_FREE: '0',
    });
    servers.push(server);
    return server;
  };

  it('fills the empty Secret with two tokens, accepts exactly those, and follows a rotation', async () => {
    // No SPARKPLANE_STAGING_NAMESPACE: the namespace is the kubeconfig context's, as the pod's would be its service account's.
    const server = start('staging-tokens', 'store');
    const { port, metricsPort } = (await server.waitForLog('staging server started')) as unknown as { port: number; metricsPort: number };
    expect(await server.waitForLog('generated missing tokens into the Secret')).toMatchObject({ secret: `Secret ${namespace}/staging-tokens`, keys: [UPLOAD_TOKEN_KEY, READ_TOKEN_KEY] });
    const secret = await admin.get(`/api/v1/namespaces/${namespace}/secrets/staging-tokens`);
    const upload = decode(secret.data[UPLOAD_TOKEN_KEY]);
    const read = decode(secret.data[READ_TOKEN_KEY]);
    expect(upload).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(read).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(upload).not.toBe(read);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status).toBe(200);

    const data = randomBytes(100_000);
    const blob = `http://127.0.0.1:${port}/v1/blobs/sha256/${sha(data)}`;
    expect((await fetch(blob, { method: 'PUT', headers: { [STAGING_TOKEN_HEADER]: read }, body: data })).status).toBe(403);
    expect((await fetch(blob, { method: 'PUT', headers: { [STAGING_TOKEN_HEADER]: upload }, body: data })).status).toBe(201);
    const got = await fetch(blob, { headers: { [STAGING_TOKEN_HEADER]: read } });
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(data)).toBe(true);

    // Rotation is an update of the Secret: the old read token stops working at the next reading.
    const rotated = randomBytes(32).toString('base64url');
    await admin.patch(`/api/v1/namespaces/${namespace}/secrets/staging-tokens`, { data: { [READ_TOKEN_KEY]: Buffer.from(rotated).toString('base64') } });
    await waitFor(async () => (await fetch(blob, { method: 'HEAD', headers: { [STAGING_TOKEN_HEADER]: read } })).status === 401, 10_000, 'the old read token refused');
    expect((await fetch(blob, { method: 'HEAD', headers: { [STAGING_TOKEN_HEADER]: rotated } })).status).toBe(200);
    // The server wrote only what was missing: the upload token is the one it generated.
    expect(decode((await admin.get(`/api/v1/namespaces/${namespace}/secrets/staging-tokens`)).data[UPLOAD_TOKEN_KEY])).toBe(upload);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^sparkplane_staging_token_refreshes_total\{result="ok"\} [1-9]/m);
    expect(metrics).not.toMatch(/^sparkplane_staging_token_refreshes_total\{result="error"\}/m);
    const logs = JSON.stringify(server.logs);
    for (const token of [upload, read, rotated]) expect(logs).not.toContain(token);
  });

  it('stays unready, serving nobody, when its Secret is one its Role does not name', async () => {
    const server = start('other-secret', 'store-other');
    const { port, metricsPort } = (await server.waitForLog('staging server started')) as unknown as { port: number; metricsPort: number };
    const failure = await server.waitForLog('cannot read the tokens');
    expect(String(failure.message)).toMatch(/forbidden|403/i);
    const ready = await fetch(`http://127.0.0.1:${metricsPort}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toContain('the tokens have not been read yet');
    expect((await fetch(`http://127.0.0.1:${port}/v1/blobs/sha256/${sha(Buffer.from('x'))}`, { headers: { [STAGING_TOKEN_HEADER]: 'anything-at-all-0123456789' } })).status).toBe(503);
    expect((await admin.get(`/api/v1/namespaces/${namespace}/secrets/other-secret`)).data).toBeUndefined();
  });
});
