// The shuffle janitor (issue 6) as a process of the bundled image program, against the real API
// server, with a ServiceAccount that may only get pods in the application namespace: the files of a
// deleted driver pod and of a finished one go after the grace period; a running application's files
// stay, and so do those of a namespace the janitor may not read (403 is "unknown", never "gone").
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KubeApi, loadKubeconfig } from '../e2e/support/kube-api';
import { bundleImageProgram, ImageProgramProcess } from '../support/image-program';
import { connection } from './support/cluster-env';
import { createRestrictedNamespace, deleteNamespace, waitFor } from './support/kube';
import { writeServiceAccountKubeconfig } from './support/service-account-kubeconfig';

const restrictedPod = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: {
    securityContext: { runAsNonRoot: true, runAsUser: 185, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [{ name: 'spark-driver', image: 'apache/spark:4.0.5', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
  },
});

describe('the shuffle janitor on the real control plane', () => {
  const admin = new KubeApi(loadKubeconfig(connection().kubeconfig));
  let namespace: string;
  let forbidden: string;
  let root: string;
  let janitor: ImageProgramProcess | undefined;

  beforeAll(async () => {
    namespace = await createRestrictedNamespace('sp-janitor');
    forbidden = await createRestrictedNamespace('sp-janitor-other');
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-janitor-it-'));
  });

  afterAll(async () => {
    await janitor?.kill();
    admin.close();
    deleteNamespace(namespace);
    deleteNamespace(forbidden);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('deletes the files of gone and finished drivers after the grace period, and keeps the running and the unreadable', async () => {
    // The janitor's identity: get on pods in the application namespace, nothing else.
    await admin.create(`/api/v1/namespaces/${namespace}/serviceaccounts`, { metadata: { name: 'janitor' } });
    await admin.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles`, { metadata: { name: 'janitor' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] });
    await admin.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`, { metadata: { name: 'janitor' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'janitor' }, subjects: [{ kind: 'ServiceAccount', name: 'janitor', namespace }] });
    const kubeconfig = path.join(root, 'kubeconfig');
    await writeServiceAccountKubeconfig(admin, namespace, 'janitor', kubeconfig);

    const pods: Record<string, any> = {};
    for (const name of ['running-driver', 'finished-driver', 'deleted-driver']) pods[name] = await admin.create(`/api/v1/namespaces/${namespace}/pods`, restrictedPod(name));
    pods.other = await admin.create(`/api/v1/namespaces/${forbidden}/pods`, restrictedPod('other-driver'));
    await admin.patch(`/api/v1/namespaces/${namespace}/pods/finished-driver/status`, { status: { phase: 'Succeeded' } });
    await admin.delete(`/api/v1/namespaces/${namespace}/pods/deleted-driver`, { gracePeriodSeconds: 0 });

    const apps = path.join(root, 'apps');
    const dir = (ns: string, pod: any) => {
      const d = path.join(apps, ns, `${pod.metadata.name}_${pod.metadata.uid}`);
      fs.mkdirSync(path.join(d, 'spark-app-1', 'blockmgr-1', '0a'), { recursive: true });
      fs.writeFileSync(path.join(d, 'spark-app-1', 'blockmgr-1', '0a', 'shuffle_0_0_0.data'), 'x');
      return d;
    };
    const running = dir(namespace, pods['running-driver']);
    const finished = dir(namespace, pods['finished-driver']);
    const deleted = dir(namespace, pods['deleted-driver']);
    const unreadable = dir(forbidden, pods.other);

    janitor = new ImageProgramProcess(await bundleImageProgram(), ['shuffle-janitor'], {
      PATH: process.env.PATH, KUBECONFIG: kubeconfig,
      SPARKPLANE_JANITOR_APPS_DIR: apps, SPARKPLANE_JANITOR_GRACE: '3s', SPARKPLANE_JANITOR_INTERVAL: '500ms',
      SPARKPLANE_JANITOR_METRICS_PORT: '0', SPARKPLANE_JANITOR_METRICS_HOST: '127.0.0.1', SPARKPLANE_JANITOR_STATSD_PORT: '0',
    });
    const { metricsPort } = (await janitor.waitForLog('shuffle janitor started')) as unknown as { metricsPort: number };
    await waitFor(() => !fs.existsSync(finished) && !fs.existsSync(deleted), 30_000, 'the finished and the deleted driver\'s files removed');
    // A few more sweeps: what must stay stays.
    await new Promise((r) => setTimeout(r, 4000));
    expect(fs.existsSync(path.join(running, 'spark-app-1', 'blockmgr-1', '0a', 'shuffle_0_0_0.data'))).toBe(true);
    expect(fs.existsSync(unreadable)).toBe(true);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^sparkplane_shuffle_janitor_deleted_total 2$/m);
    expect(metrics).toMatch(/^sparkplane_shuffle_janitor_applications\{verdict="unknown"\} 1$/m);
    expect(metrics).toMatch(/^sparkplane_shuffle_janitor_api_requests_total\{result="403"\} [1-9]/m);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status).toBe(200);
    expect(janitor.logs.filter((l) => l.msg === 'deleted the shuffle files of an ended application').map((l) => l.directory).sort()).toEqual(
      [`${namespace}/deleted-driver_${pods['deleted-driver'].metadata.uid}`, `${namespace}/finished-driver_${pods['finished-driver'].metadata.uid}`].sort(),
    );
  });
});
