// The staging server's objects (issue 7) on the real control plane: strict server-side apply into a
// namespace that enforces Pod Security "restricted" with no warning, its pod and an application's
// driver pod with the fetch-staged init container admitted there, and RBAC checked as the server's
// and an uploader's ServiceAccounts: exactly the tokens Secret, and the proxy of one Service by the
// one name the CLI uses.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { renderSparkApplication, renderStagingServer, type StagingServerSpec } from '../../lib/core';
import { accessOf } from './support/access-review';
import { apply, createRestrictedNamespace, deleteNamespace, getObject, kubectl, list, waitFor, type KubeObj } from './support/kube';

describe('the staging server on the real control plane', () => {
  let namespace: string;
  let server: StagingServerSpec;
  let objects: KubeObj[];
  let warnings: string[];
  let jarDir: string;

  beforeAll(async () => {
    namespace = await createRestrictedNamespace('sp-staging-it');
    server = { namespace, image: 'sparkplane:e2e', apiServerPeers: [{ cidr: '10.0.0.10/32' }], uploaders: [{ kind: 'ServiceAccount', name: 'ci' }], nodeSelector: { 'sparkplane.dev/kwok-node': 'true' } };
    objects = renderStagingServer(server) as KubeObj[];
    // The harness has no storage provisioner: a PersistentVolume made for the claim, as an administrator would.
    kubectl(['create', '-f', '-'], { input: {
      apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: `${namespace}-staging` },
      spec: { capacity: { storage: '20Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: '', hostPath: { path: '/var/lib/staging' }, claimRef: { namespace, name: 'staging-server-data' } },
    } });
    const applied = apply([{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'ci', namespace } }, ...objects], { namespace });
    warnings = applied.stderr.split('\n').filter((line) => /warning/i.test(line));
    jarDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-staging-it-'));
  });

  afterAll(() => {
    deleteNamespace(namespace);
    kubectl(['delete', 'persistentvolume', `${namespace}-staging`, '--wait=false', '--ignore-not-found'], { allowFailure: true });
    fs.rmSync(jarDir, { recursive: true, force: true });
  });

  it('is accepted by strict server-side apply in a "restricted" namespace, with no warning', () => {
    expect(warnings).toEqual([]);
    for (const object of objects) expect(`${object.kind}/${object.metadata.name}: ${getObject(object.kind, object.metadata.name, namespace) ? 'stored' : 'missing'}`).toBe(`${object.kind}/${object.metadata.name}: stored`);
  });

  it('runs its pod under "restricted" on its bound claim (KWOK marks it running)', async () => {
    const pod = await waitFor(() => list('pods', namespace, 'app.kubernetes.io/name=sparkplane-staging-server').find((p) => p.status?.phase === 'Running'), 60_000, 'the staging server pod Running');
    expect(pod.spec.containers[0].securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
  });

  it('lets the server get and patch its tokens Secret and nothing else', () => {
    const { actual, expected } = accessOf(namespace, 'staging-server', [
      { verb: 'get', resource: 'secrets', name: 'staging-server-tokens', namespace, expected: 'allowed' },
      { verb: 'patch', resource: 'secrets', name: 'staging-server-tokens', namespace, expected: 'allowed' },
      { verb: 'get', resource: 'secrets', name: 'another-secret', namespace, expected: 'denied' },
      { verb: 'list', resource: 'secrets', namespace, expected: 'denied' },
      { verb: 'delete', resource: 'secrets', name: 'staging-server-tokens', namespace, expected: 'denied' },
      { verb: 'create', resource: 'secrets', namespace, expected: 'denied' },
      { verb: 'get', resource: 'pods', namespace, expected: 'denied' },
    ]);
    expect(actual).toEqual(expected);
  });

  it('lets an uploader read the tokens and use the proxy of this Service by the name `sparkplane stage` sends, and nothing more', () => {
    const { actual, expected } = accessOf(namespace, 'ci', [
      { verb: 'get', resource: 'secrets', name: 'staging-server-tokens', namespace, expected: 'allowed' },
      { verb: 'get', resource: 'services', subresource: 'proxy', name: 'staging-server:http', namespace, expected: 'allowed' },
      { verb: 'update', resource: 'services', subresource: 'proxy', name: 'staging-server:http', namespace, expected: 'allowed' },
      { verb: 'create', resource: 'services', subresource: 'proxy', name: 'staging-server:http', namespace, expected: 'denied' },
      { verb: 'get', resource: 'services', subresource: 'proxy', name: 'staging-server', namespace, expected: 'denied' },
      { verb: 'get', resource: 'services', subresource: 'proxy', name: 'other:http', namespace, expected: 'denied' },
      { verb: 'patch', resource: 'secrets', name: 'staging-server-tokens', namespace, expected: 'denied' },
      { verb: 'list', resource: 'secrets', namespace, expected: 'denied' },
    ]);
    expect(actual).toEqual(expected);
  });

  it('admits the driver pod of an application with a local jar, fetch-staged init container included, under "restricted"', async () => {
    const jar = path.join(jarDir, 'job.jar');
    fs.writeFileSync(jar, 'a jar');
    const app = renderSparkApplication({
      name: 'staged', namespace, sparkVersion: '4.0.5', mainClass: 'com.example.Job', mainApplicationFile: jar, staging: server,
      driver: { nodeSelector: { 'sparkplane.dev/kwok-node': 'true' } },
    }) as KubeObj[];
    const applied = apply(app, { namespace });
    expect(applied.stderr.split('\n').filter((line) => /warning/i.test(line))).toEqual([]);
    const driver = await waitFor(() => list('pods', namespace, 'batch.kubernetes.io/job-name=staged-driver')[0], 60_000, 'the staged driver pod');
    expect(driver.spec.initContainers.map((c: any) => c.name)).toEqual(['fetch-staged']);
    expect(driver.spec.volumes.find((v: any) => v.name === 'sparkplane-staging-token').secret.secretName).toBe('staging-server-tokens');
  });
});
