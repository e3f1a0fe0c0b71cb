// The Pulumi front end's StagedFiles provider (issue 7) as `pulumi up` runs it: serialized by
// Pulumi's closure serializer exactly as pulumi.dynamic.Resource serializes it, then loaded in a
// fresh Node process with require-from-string as Pulumi's dynamic provider process loads it, and
// called there (no Pulumi engine: its methods are called one by one). The requests go through the
// real API server's service proxy, as a ServiceAccount bound to the uploader Role the StagingServer
// renders, to the real staging server running as a local process (support/staging-backend.ts).
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import { build } from 'esbuild';
import { STAGE_API_BUNDLE } from '../../lib/cli/stage-api-bundle';
import { renderStagingServer } from '../../lib/core';
import { stagedFilesProvider } from '../../lib/pulumi/staged-files';
import { imageBundleOptions } from '../../scripts/image/bundle';
import { KubeApi, loadKubeconfig } from '../e2e/support/kube-api';
import { connection } from './support/cluster-env';
import { createRestrictedNamespace, deleteNamespace } from './support/kube';
import { writeServiceAccountKubeconfig } from './support/service-account-kubeconfig';
import { StagingBackend, waitForSecretAccess } from './support/staging-backend';
import { run } from '../e2e/support/run';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const STAGE_API = path.join(REPO_ROOT, '.cache', 'cli', STAGE_API_BUNDLE);
const MiB = 1024 * 1024;

/** Loads a serialized provider as Pulumi's dynamic provider process does, calls one method, prints the outcome. */
const PROVIDER_HOST = `
const fs = require('fs');
const requireFromString = require(${JSON.stringify(require.resolve('require-from-string', { paths: [path.dirname(require.resolve('@pulumi/pulumi'))] }))});
const [providerFile, method, argsJson] = process.argv.slice(2);
const provider = requireFromString(fs.readFileSync(providerFile, 'utf8')).handler();
provider[method](...JSON.parse(argsJson)).then(
  (result) => process.stdout.write(JSON.stringify({ result: result === undefined ? null : result })),
  (error) => process.stdout.write(JSON.stringify({ error: error.message })),
);
`;

interface ProviderCall {
  readonly result?: any;
  readonly error?: string;
}

function sha256Of(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

describe('the StagedFiles provider, serialized as `pulumi up` serializes it, through the real API server\'s service proxy', () => {
  const admin = new KubeApi(loadKubeconfig(connection().kubeconfig));
  const service = 'staging-server';
  const secret = 'staging-server-tokens';
  let namespace: string;
  let root: string;
  let backend: StagingBackend;
  let uploaderKubeconfig: string;
  let nobodyKubeconfig: string;
  let serialized: string;
  let providerFile: string;
  let hostFile: string;
  let files: Array<{ name: string; sha256: string; size: number; source: string }>;
  let inputs: Record<string, any>;

  /** Calls `method` of the provider in `providerPath`, in a fresh process with `env` and `cwd` (the Pulumi project). */
  async function callProvider(method: string, args: unknown[], options: { env?: NodeJS.ProcessEnv; cwd?: string; provider?: string } = {}): Promise<ProviderCall> {
    const { code, stdout, stderr } = await run(process.execPath, [hostFile, options.provider ?? providerFile, method, JSON.stringify(args)], {
      cwd: options.cwd ?? root,
      env: options.env ?? { PATH: process.env.PATH, HOME: root, KUBECONFIG: uploaderKubeconfig },
      timeoutMs: 120_000,
    });
    try {
      return JSON.parse(stdout);
    } catch {
      throw new Error(`the provider process exited ${code} without an outcome: ${stdout}${stderr}`);
    }
  }

  const staged = (file: { name: string; sha256: string; size: number }) => ({
    name: file.name, sha256: file.sha256, size: file.size, url: `http://${service}.${namespace}.svc:7080/v1/blobs/sha256/${file.sha256}`,
  });
  const requestsSince = (count: number) => backend.requests.slice(count).map((r) => `${r.method} ${r.url.replace(/^\/v1\/blobs\/sha256\//, '')}`);

  beforeAll(async () => {
    namespace = await createRestrictedNamespace('sp-pulumi-staged');
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-pulumi-staged-it-'));
    fs.mkdirSync(path.join(root, 'backend'));
    fs.mkdirSync(path.dirname(STAGE_API), { recursive: true });
    await build({ ...imageBundleOptions('lib/cli/stage-api.ts', `node${process.versions.node.split('.')[0]}`), outfile: STAGE_API });
    backend = await StagingBackend.start(admin, { namespace, service, secret, workDir: path.join(root, 'backend') });

    // The uploader: bound, through the StagingServer's `uploaders`, to the Role it renders; another account may do nothing.
    const rendered = renderStagingServer({ namespace, image: 'sparkplane:test', apiServerPeers: [{ cidr: '192.0.2.0/24' }], uploaders: [{ kind: 'ServiceAccount', name: 'uploader' }] });
    const rbac = `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}`;
    await admin.create(`/api/v1/namespaces/${namespace}/serviceaccounts`, { metadata: { name: 'uploader' } });
    await admin.create(`/api/v1/namespaces/${namespace}/serviceaccounts`, { metadata: { name: 'nobody' } });
    await admin.create(`${rbac}/roles`, rendered.find((o) => o.kind === 'Role' && o.metadata.name === `${service}-uploader`)!);
    await admin.create(`${rbac}/rolebindings`, rendered.find((o) => o.kind === 'RoleBinding' && o.metadata.name === `${service}-uploader`)!);
    uploaderKubeconfig = path.join(root, 'uploader.kubeconfig');
    nobodyKubeconfig = path.join(root, 'nobody.kubeconfig');
    await writeServiceAccountKubeconfig(admin, namespace, 'uploader', uploaderKubeconfig);
    await writeServiceAccountKubeconfig(admin, namespace, 'nobody', nobodyKubeconfig);
    await waitForSecretAccess(uploaderKubeconfig, namespace, secret);

    const data = path.join(root, 'data');
    fs.mkdirSync(data);
    fs.writeFileSync(path.join(data, 'etl.jar'), randomBytes(3 * MiB + 11));
    fs.writeFileSync(path.join(data, 'lookup.csv'), `key,value\n${Date.now()},1\n`);
    files = ['etl.jar', 'lookup.csv'].map((name) => {
      const source = path.join(data, name);
      return { name, sha256: sha256Of(source), size: fs.statSync(source).size, source };
    });
    inputs = { namespace, service, secret, files };

    // What pulumi.dynamic.Resource stores as __provider: serializeFunction(() => provider).
    const provider = stagedFilesProvider(STAGE_API);
    serialized = (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
    // The inputs as Pulumi's dynamic provider process passes them: with that text among them.
    inputs = { ...inputs, __provider: serialized };
    providerFile = path.join(root, 'provider.js');
    fs.writeFileSync(providerFile, serialized);
    hostFile = path.join(root, 'provider-host.js');
    fs.writeFileSync(hostFile, PROVIDER_HOST);
  });

  afterAll(async () => {
    await backend?.stop();
    admin.close();
    deleteNamespace(namespace);
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('survives Pulumi\'s closure serialization as a few KB that load the staging client only when called', () => {
    expect(serialized).toMatch(/^exports\.handler = __f0;/);
    expect(serialized.length).toBeLessThan(16 * 1024);
    expect(serialized).not.toMatch(/client-node|KubeConfig|node-fetch/);
    // The bundle it loads, by the path it had when serialized, and by name from the Pulumi project.
    expect(serialized).toContain(JSON.stringify(STAGE_API));
    expect(serialized).toMatch(/require\.resolve\(['"]sparkplane['"]\)/);
    expect(fs.statSync(STAGE_API).size).toBeGreaterThan(100 * 1024);
  });

  it('create uploads every file (HEAD, then PUT) with the ambient kubeconfig and outputs each file\'s URL', async () => {
    const before = backend.requests.length;
    const { result, error } = await callProvider('create', [inputs]);
    expect(error).toBeUndefined();
    expect(result.id).toMatch(new RegExp(`^${namespace}/${service}/[0-9a-f]{16}$`));
    expect(result.outs).toEqual({ namespace, service, secret, files: files.map(staged) });
    for (const file of files) expect(await backend.storedBlob(file.sha256)).toEqual({ sha256: file.sha256, size: file.size });
    expect(requestsSince(before)).toEqual(files.flatMap((f) => [`HEAD ${f.sha256}`, `PUT ${f.sha256}`]));
    const put = backend.requests.slice(before).find((r) => r.method === 'PUT')!;
    expect(put.headers['user-agent']).toMatch(/^sparkplane-pulumi\//);
    expect(put.headers['x-sparkplane-token']).toBe(backend.tokens.upload);
    expect(put.headers.authorization).toBeUndefined();
  });

  it('a second create uploads nothing, and diff of unchanged files finds them on the server (changes: false)', async () => {
    const before = backend.requests.length;
    const created = await callProvider('create', [inputs]);
    expect(created.result.outs.files).toEqual(files.map(staged));
    expect(requestsSince(before)).toEqual(files.map((f) => `HEAD ${f.sha256}`));

    const outs = created.result.outs;
    expect(await callProvider('diff', [created.result.id, outs, inputs])).toEqual({ result: { changes: false } });
    // A changed digest set is an update (never a replacement), without asking the server.
    const fewer = { ...inputs, files: files.slice(0, 1) };
    const afterChecks = backend.requests.length;
    expect(await callProvider('diff', [created.result.id, outs, fewer])).toEqual({ result: { changes: true } });
    expect(backend.requests.length).toBe(afterChecks);
  });

  it('after the server lost a blob, read reports it missing, diff sees a change, and update uploads it again (and only it)', async () => {
    const { result: { id, outs } } = await callProvider('create', [inputs]);
    const [jar, csv] = files;
    fs.rmSync(path.join(backend.storageDir, 'blobs', 'sha256', jar.sha256.slice(0, 2), jar.sha256));
    expect(await backend.storedBlob(jar.sha256)).toBeUndefined();

    // pulumi refresh: the state keeps only what the server holds.
    const read = await callProvider('read', [id, outs]);
    expect(read.result).toEqual({ id, props: { ...outs, files: [staged(csv)] } });
    // pulumi up after a refresh, and without one: either way an update.
    expect(await callProvider('diff', [id, read.result.props, inputs])).toEqual({ result: { changes: true } });
    expect(await callProvider('diff', [id, outs, inputs])).toEqual({ result: { changes: true } });

    const before = backend.requests.length;
    const updated = await callProvider('update', [id, read.result.props, inputs]);
    expect(updated.result.outs).toEqual(outs);
    expect(requestsSince(before)).toEqual([`HEAD ${jar.sha256}`, `PUT ${jar.sha256}`, `HEAD ${csv.sha256}`]);
    expect(await backend.storedBlob(jar.sha256)).toEqual({ sha256: jar.sha256, size: jar.size });
  });

  it('uses a kubeconfig given as text (kept in its outputs for refresh) instead of the ambient one', async () => {
    const kubeconfig = fs.readFileSync(uploaderKubeconfig, 'utf8');
    const env = { PATH: process.env.PATH, HOME: root };
    const created = await callProvider('create', [{ ...inputs, kubeconfig }], { env });
    expect(created.error).toBeUndefined();
    expect(created.result.outs).toEqual({ namespace, service, secret, kubeconfig, files: files.map(staged) });
    expect((await callProvider('read', [created.result.id, created.result.outs], { env })).result.props.files).toEqual(files.map(staged));
    // Without it, and with no ambient kubeconfig, the provider says what is missing.
    expect((await callProvider('create', [inputs], { env })).error).toContain('no kubeconfig: set KUBECONFIG');
  });

  it('finds the staging client through the Pulumi project\'s node_modules when the serialized path is gone (a state from another machine)', async () => {
    const project = path.join(root, 'project');
    const installed = path.join(project, 'node_modules', 'sparkplane');
    fs.mkdirSync(path.join(installed, 'dist', 'cli'), { recursive: true });
    // The package's own entry points: only these are importable by name, as in the published package.
    fs.writeFileSync(path.join(installed, 'package.json'), JSON.stringify({ name: 'sparkplane', main: 'dist/index.js', exports: { '.': { default: './dist/index.js' }, './pulumi': { default: './dist/pulumi/index.js' } } }));
    fs.writeFileSync(path.join(installed, 'dist', 'index.js'), '');
    fs.copyFileSync(STAGE_API, path.join(installed, 'dist', 'cli', STAGE_API_BUNDLE));
    const elsewhere = path.join(root, 'provider-from-elsewhere.js');
    fs.writeFileSync(elsewhere, (await pulumi.runtime.serializeFunction(() => stagedFilesProvider('/nonexistent/sparkplane/dist/cli/sparkplane-stage-api.js'))).text);

    const fromProject = await callProvider('create', [inputs], { cwd: project, provider: elsewhere });
    expect(fromProject.result?.outs.files).toEqual(files.map(staged));
    const outsideProject = await callProvider('create', [inputs], { cwd: root, provider: elsewhere });
    expect(outsideProject.error).toContain('install the sparkplane package in the Pulumi project');
  });

  it('fails create with the RBAC the user lacks, as `sparkplane stage` says it; diff then leaves the comparison to Pulumi', async () => {
    const env = { PATH: process.env.PATH, HOME: root, KUBECONFIG: nobodyKubeconfig };
    const created = await callProvider('create', [inputs], { env });
    expect(created.error).toContain('you may not read the staging server\'s upload token');
    expect(created.error).toContain(`get on secrets with resourceNames ["${secret}"]`);
    const outs = { namespace, service, secret, files: files.map(staged) };
    expect(await callProvider('diff', ['id', outs, inputs], { env })).toEqual({ result: {} });
    // delete removes nothing (blobs are shared by digest and expire by retention), and needs no credentials.
    const before = backend.requests.length;
    expect(await callProvider('delete', ['id', outs], { env })).toEqual({ result: null });
    expect(backend.requests.length).toBe(before);
    expect(await backend.storedBlob(files[0].sha256)).toBeDefined();
  });
});
