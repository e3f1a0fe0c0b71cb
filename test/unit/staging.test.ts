// The staging server's objects and what local dependencies add to an application (issue 7).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createHash } from 'crypto';
import { renderStagingServer, SparkplaneValidationError, type SparkApplicationSpec, type StagingServerSpec } from '../../lib/core';
import { rendered } from '../support/render-helpers';

const server: StagingServerSpec = { namespace: 'batch', image: 'registry.example.com/sparkplane:0.1.0', apiServerPeers: [{ cidr: '10.0.0.10/32' }] };

let dir: string;
let cwd: string;
beforeAll(() => {
  cwd = process.cwd();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-staging-unit-'));
  process.chdir(dir);
  fs.writeFileSync('job.jar', Buffer.alloc(3 * 2 ** 20, 7));
  fs.mkdirSync('lib');
  fs.writeFileSync('lib/dep.jar', 'dependency');
  fs.writeFileSync('lib/job.jar', 'same name as ./job.jar');
  fs.writeFileSync('main.py', 'print(1)\n');
  fs.writeFileSync('helpers.zip', 'zip');
  fs.writeFileSync('lookup.csv', 'a,b\n');
});
afterAll(() => {
  process.chdir(cwd);
  fs.rmSync(dir, { recursive: true, force: true });
});

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const app = (extra: Partial<SparkApplicationSpec> = {}): SparkApplicationSpec => ({
  name: 'etl', namespace: 'batch', sparkVersion: '4.0.5', mainClass: 'com.example.Etl', mainApplicationFile: 'job.jar', staging: server, ...extra,
});

function problemsOf(render: () => unknown): Array<{ path: string; message: string }> {
  try {
    render();
  } catch (error) {
    if (error instanceof SparkplaneValidationError) return error.problems.map(({ path: p, message }) => ({ path: p, message }));
    throw error;
  }
  throw new Error('expected a SparkplaneValidationError');
}

describe('StagingServer', () => {
  const objects = renderStagingServer(server) as any[];
  const one = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

  it('renders its identity, the two Roles, an empty tokens Secret, the claim, the Deployment, the Service and the NetworkPolicy', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/staging-server', 'Role/staging-server', 'RoleBinding/staging-server', 'Role/staging-server-uploader',
      'Secret/staging-server-tokens', 'PersistentVolumeClaim/staging-server-data', 'Deployment/staging-server', 'Service/staging-server',
      'NetworkPolicy/staging-server',
    ]);
    expect(new Set(objects.map((o) => o.metadata.namespace))).toEqual(new Set(['batch']));
    // No token in the manifests: the server generates them into the Secret.
    const secret = one('Secret', 'staging-server-tokens');
    expect(secret.data).toBeUndefined();
    expect(secret.stringData).toBeUndefined();
  });

  it('lets the server read and fill its own tokens Secret and nothing else; uploaders may read it and use the proxy by its exact name', () => {
    expect(one('Role', 'staging-server').rules).toEqual([{ apiGroups: [''], resources: ['secrets'], resourceNames: ['staging-server-tokens'], verbs: ['get', 'patch'] }]);
    expect(one('Role', 'staging-server-uploader').rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['staging-server-tokens'], verbs: ['get'] },
      { apiGroups: [''], resources: ['services/proxy'], resourceNames: ['staging-server:http'], verbs: ['get', 'update'] },
    ]);
    const bound = renderStagingServer({ ...server, uploaders: [{ kind: 'ServiceAccount', name: 'ci' }, { kind: 'Group', name: 'data-eng' }] }) as any[];
    expect(bound.find((o) => o.kind === 'RoleBinding' && o.metadata.name === 'staging-server-uploader').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'ci', namespace: 'batch' },
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'data-eng' },
    ]);
  });

  it('runs one restricted pod on its claim, recreated rather than rolled (one writer)', () => {
    const deployment = one('Deployment', 'staging-server');
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, fsGroup: 65532 });
    expect(pod.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.containers[0].args).toEqual(['staging-server']);
    expect(pod.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'staging-server-data' } }]);
    expect(one('PersistentVolumeClaim', 'staging-server-data').spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } } });
  });

  it('admits only driver pods and the API server\'s proxy to the data port, and nobody but the given peers to metrics', () => {
    const policy = one('NetworkPolicy', 'staging-server');
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(policy.spec.ingress).toEqual([
      { from: [{ podSelector: { matchLabels: { 'spark-role': 'driver' }, matchExpressions: [{ key: 'sparkplane.io/application', operator: 'Exists' }] } }], ports: [{ port: 7080, protocol: 'TCP' }] },
      { from: [{ ipBlock: { cidr: '10.0.0.10/32' } }], ports: [{ port: 7080, protocol: 'TCP' }] },
    ]);
    const scraped = renderStagingServer({ ...server, metricsPeers: [{ podLabels: { app: 'prometheus' }, namespaceLabels: { team: 'monitoring' } }] }) as any[];
    expect(scraped.find((o) => o.kind === 'NetworkPolicy').spec.ingress[2]).toEqual({
      from: [{ podSelector: { matchLabels: { app: 'prometheus' } }, namespaceSelector: { matchLabels: { team: 'monitoring' } } }], ports: [{ port: 7081, protocol: 'TCP' }],
    });
  });

  it('names every bad property with the fix', () => {
    expect(problemsOf(() => renderStagingServer({ apiServerPeers: [{ cidr: '10.0.0.1', podLabels: { a: 'b' } }, {}], retention: '5s', maxFileSize: 'big' } as unknown as StagingServerSpec))).toEqual([
      { path: 'image', message: expect.stringMatching(/is required: the sparkplane image/) },
      { path: 'maxFileSize', message: expect.stringMatching(/positive Kubernetes quantity/) },
      { path: 'retention', message: expect.stringMatching(/at least a minute/) },
      { path: 'apiServerPeers[0]', message: expect.stringMatching(/cidr together with labels/) },
      { path: 'apiServerPeers[1]', message: expect.stringMatching(/selects nothing/) },
    ]);
    expect(problemsOf(() => renderStagingServer({ ...server, nodeSelector: { pool: 'not a label value' }, tolerations: [{ operator: 'Sometimes' }], uploaders: [{ kind: 'Robot', name: 'x' }] } as unknown as StagingServerSpec))).toEqual([
      { path: 'nodeSelector["pool"]', message: expect.any(String) },
      { path: 'tolerations[0].operator', message: 'must be "Equal" or "Exists"' },
      { path: 'tolerations[0].key', message: expect.stringMatching(/is required unless operator is "Exists"/) },
      { path: 'uploaders[0]', message: expect.stringMatching(/must be \{ kind: "User" \| "Group" \| "ServiceAccount"/) },
    ]);
    expect(problemsOf(() => renderStagingServer({ image: 'x' } as StagingServerSpec))).toEqual([{ path: 'apiServerPeers', message: expect.stringMatching(/^is required: where the API server's service proxy connects from/) }]);
  });
});

describe('SparkApplication with local dependencies', () => {
  it('names each local file by digest in the driver\'s fetch-staged init container, and gives Spark file: URIs of the copies', () => {
    const { driverPod, driverContainer, properties } = rendered(app({ jars: ['lib/dep.jar', 'https://repo.example.com/x.jar'], files: ['lookup.csv'] }));
    const [fetch] = driverPod.spec.initContainers;
    expect(fetch.name).toBe('fetch-staged');
    expect(fetch.args).toEqual([
      'fetch-staged', '--server', 'http://staging-server.batch.svc:7080', '--token-file', '/var/run/sparkplane/staging/read-token', '--dir', '/opt/sparkplane/staged',
      `${sha('job.jar')}=job.jar`, `${sha('lib/dep.jar')}=dep.jar`, `${sha('lookup.csv')}=lookup.csv`,
    ]);
    expect(driverContainer.args.at(-1)).toBe('file:///opt/sparkplane/staged/job.jar');
    expect(properties['spark.jars']).toBe('file:///opt/sparkplane/staged/dep.jar,https://repo.example.com/x.jar');
    expect(properties['spark.files']).toBe('file:///opt/sparkplane/staged/lookup.csv');
    // The read token reaches the init container alone; the driver sees the copies read-only.
    expect(driverPod.spec.volumes).toContainEqual({ name: 'sparkplane-staging-token', secret: { secretName: 'staging-server-tokens', items: [{ key: 'read-token', path: 'read-token' }], defaultMode: 0o440 } });
    expect(driverContainer.volumeMounts).toContainEqual({ name: 'sparkplane-staged', mountPath: '/opt/sparkplane/staged', readOnly: true });
    expect(driverContainer.volumeMounts.map((m: any) => m.name)).not.toContain('sparkplane-staging-token');
    expect(JSON.stringify(rendered(app()).objects)).not.toMatch(/token"\s*:\s*"[A-Za-z0-9_-]{20,}/);
  });

  it('changes the manifests when a local file changes, and only then', () => {
    const before = JSON.stringify(rendered(app()).objects);
    expect(JSON.stringify(rendered(app()).objects)).toBe(before);
    fs.appendFileSync('job.jar', 'x');
    const after = JSON.stringify(rendered(app()).objects);
    expect(after).not.toBe(before);
    expect(after).toContain(`${sha('job.jar')}=job.jar`);
  });

  it('stages a Python application\'s main file and pyFiles', () => {
    const { driverContainer, properties } = rendered(app({ mainClass: undefined, mainApplicationFile: 'main.py', pyFiles: ['helpers.zip'] }));
    expect(driverContainer.args.at(-1)).toBe('file:///opt/sparkplane/staged/main.py');
    expect(properties['spark.submit.pyFiles']).toBe('file:///opt/sparkplane/staged/helpers.zip');
  });

  it('renders nothing for staging when every dependency is a URI', () => {
    const { driverPod } = rendered(app({ mainApplicationFile: 'local:///opt/app/job.jar' }));
    expect(driverPod.spec.initContainers).toBeUndefined();
  });

  it('stages a file listed twice once, and sees a same-size edit', () => {
    const { driverPod } = rendered(app({ mainClass: undefined, mainApplicationFile: 'main.py', pyFiles: ['helpers.zip'], files: ['helpers.zip'] }));
    expect(driverPod.spec.initContainers[0].args.filter((a: string) => a.endsWith('=helpers.zip'))).toHaveLength(1);
    const before = rendered(app()).driverPod.spec.initContainers[0].args.at(-1);
    const bytes = fs.readFileSync('job.jar');
    bytes[0] ^= 0xff;
    fs.writeFileSync('job.jar', bytes);
    fs.utimesSync('job.jar', fs.statSync('job.jar').atime, new Date(1000));
    expect(rendered(app()).driverPod.spec.initContainers[0].args.at(-1)).toBe(`${sha('job.jar')}=job.jar`);
    expect(rendered(app()).driverPod.spec.initContainers[0].args.at(-1)).not.toBe(before);
  });

  it('refuses local files it cannot stage, each with the fix', () => {
    expect(problemsOf(() => rendered(app({ staging: undefined })))).toEqual([
      { path: 'mainApplicationFile', message: expect.stringMatching(/^is a local path: set staging/) },
    ]);
    expect(problemsOf(() => rendered(app({ jars: ['missing.jar', 'lib/job.jar', 'lib'], pyFiles: ['helpers.zip'], sparkConf: { 'spark.jars': 'x.jar' } })))).toEqual([
      { path: 'jars[0]', message: expect.stringMatching(/missing.jar does not exist on this machine/) },
      { path: 'jars[1]', message: expect.stringMatching(/same file name as mainApplicationFile/) },
      { path: 'jars[2]', message: expect.stringMatching(/is not a regular file/) },
      { path: 'pyFiles', message: expect.stringMatching(/is for Python applications/) },
      { path: 'sparkConf["spark.jars"]', message: 'is rendered from typed props; set jars instead' },
    ]);
    expect(problemsOf(() => rendered(app({ mainApplicationFile: 'file:///home/me/job.jar', staging: { ...server, namespace: 'elsewhere' } })))).toEqual([
      { path: 'staging.namespace', message: expect.stringMatching(/is not the application's namespace \(batch\)/) },
      { path: 'mainApplicationFile', message: expect.stringMatching(/^a file: URI would be read on the driver's own disk/) },
    ]);
    expect(problemsOf(() => rendered(app({ staging: { image: 'bad image' } })))).toEqual([
      { path: 'staging.image', message: expect.stringMatching(/is required: the sparkplane image/) },
    ]);
  });
});
