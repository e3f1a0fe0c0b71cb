// `sparkplane stage` (issue 7) as a process of the bundled CLI, through the real API server's service
// proxy, to the real staging server running as a local process behind a Service and Endpoints
// (support/staging-backend.ts). The user is a ServiceAccount bound to the uploader Role the
// StagingServer renders, which grants exactly what staging needs; the relay in front of the server
// records what the proxy delivered.
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { build } from 'esbuild';
import { renderStagingServer } from '../../lib/core';
import { imageBundleOptions } from '../../scripts/image/bundle';
import { KubeApi, loadKubeconfig } from '../e2e/support/kube-api';
import { connection } from './support/cluster-env';
import { createRestrictedNamespace, deleteNamespace } from './support/kube';
import { writeServiceAccountKubeconfig } from './support/service-account-kubeconfig';
import { createTokensSecret, exposeThroughServiceProxy, nonLoopbackIPv4, StagingBackend, waitForSecretAccess } from './support/staging-backend';
import { run } from '../e2e/support/run';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const CLI_BUNDLE = path.join(REPO_ROOT, '.cache', 'cli', 'sparkplane.js');
const MiB = 1024 * 1024;

/** The CLI bundled as the image bundles its program: one file, client-node inside. */
async function bundleCli(): Promise<string> {
  fs.mkdirSync(path.dirname(CLI_BUNDLE), { recursive: true });
  await build({ ...imageBundleOptions('lib/cli/main.ts', `node${process.versions.node.split('.')[0]}`), outfile: CLI_BUNDLE });
  return CLI_BUNDLE;
}

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs the CLI; asynchronously, since the relay the API server reaches lives in this process. */
async function runCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  const started = Date.now();
  const { code, stdout, stderr, error } = await run(process.execPath, [CLI_BUNDLE, ...args], { env, timeoutMs: 120_000 });
  if (error) throw error;
  return { code, stdout, stderr, ms: Date.now() - started };
}

function sha256Of(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** A file of `size` random bytes, written in 1 MiB pieces. */
function writeRandomFile(file: string, size: number): void {
  const fd = fs.openSync(file, 'w');
  for (let written = 0; written < size; written += MiB) fs.writeSync(fd, randomBytes(Math.min(MiB, size - written)));
  fs.closeSync(fd);
}

/** A port nothing listens on. */
async function closedPort(host: string): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('sparkplane stage through the real API server\'s service proxy', () => {
  const admin = new KubeApi(loadKubeconfig(connection().kubeconfig));
  const service = 'staging-server';
  const secret = 'staging-server-tokens';
  let namespace: string;
  let root: string;
  let backend: StagingBackend;
  let env: NodeJS.ProcessEnv;
  let kubeconfigs: Record<'uploader' | 'tokenReaderOnly' | 'nobody', string>;
  let files: Record<'small' | 'medium' | 'large', string>;

  beforeAll(async () => {
    namespace = await createRestrictedNamespace('sp-stage');
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-stage-it-'));
    fs.mkdirSync(path.join(root, 'backend'));
    await bundleCli();
    backend = await StagingBackend.start(admin, { namespace, service, secret, workDir: path.join(root, 'backend'), maxUpload: '100Mi' });

    // The uploader: bound, through the StagingServer's `uploaders`, to the Role it renders. Another
    // account may read the token but not use the proxy; a third may do nothing.
    const rbac = `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}`;
    const grant = async (account: string, rules: unknown[]) => {
      await admin.create(`/api/v1/namespaces/${namespace}/serviceaccounts`, { metadata: { name: account } });
      if (rules.length === 0) return;
      await admin.create(`${rbac}/roles`, { metadata: { name: account }, rules });
      await admin.create(`${rbac}/rolebindings`, { metadata: { name: account }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: account }, subjects: [{ kind: 'ServiceAccount', name: account, namespace }] });
    };
    const rendered = renderStagingServer({ namespace, image: 'sparkplane:test', apiServerPeers: [{ cidr: '192.0.2.0/24' }], uploaders: [{ kind: 'ServiceAccount', name: 'uploader' }] });
    const uploaderRole = rendered.find((o) => o.kind === 'Role' && o.metadata.name === `${service}-uploader`)!;
    const uploaderBinding = rendered.find((o) => o.kind === 'RoleBinding' && o.metadata.name === `${service}-uploader`)!;
    // Exactly what staging needs, nothing more.
    expect(uploaderRole.rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: [secret], verbs: ['get'] },
      { apiGroups: [''], resources: ['services/proxy'], resourceNames: [`${service}:http`], verbs: ['get', 'update'] },
    ]);
    await admin.create(`/api/v1/namespaces/${namespace}/serviceaccounts`, { metadata: { name: 'uploader' } });
    await admin.create(`${rbac}/roles`, uploaderRole);
    await admin.create(`${rbac}/rolebindings`, uploaderBinding);
    const readToken = { apiGroups: [''], resources: ['secrets'], resourceNames: [secret], verbs: ['get'] };
    await grant('token-reader-only', [readToken]);
    await grant('nobody', []);
    kubeconfigs = { uploader: path.join(root, 'uploader.kubeconfig'), tokenReaderOnly: path.join(root, 'token-reader.kubeconfig'), nobody: path.join(root, 'nobody.kubeconfig') };
    await writeServiceAccountKubeconfig(admin, namespace, 'uploader', kubeconfigs.uploader);
    await writeServiceAccountKubeconfig(admin, namespace, 'token-reader-only', kubeconfigs.tokenReaderOnly);
    await writeServiceAccountKubeconfig(admin, namespace, 'nobody', kubeconfigs.nobody);
    await waitForSecretAccess(kubeconfigs.uploader, namespace, secret);

    const data = path.join(root, 'data');
    fs.mkdirSync(data);
    files = { small: path.join(data, 'settings.conf'), medium: path.join(data, 'helper.zip'), large: path.join(data, 'app-assembly.jar') };
    fs.writeFileSync(files.small, 'spark.executor.memory=2g\n');
    writeRandomFile(files.medium, 3 * MiB + 17);
    writeRandomFile(files.large, 64 * MiB + 5);
    // No ~/.kube/config of the machine: each run names its kubeconfig.
    env = { PATH: process.env.PATH, HOME: root };
  });

  afterAll(async () => {
    await backend?.stop();
    admin.close();
    deleteNamespace(namespace);
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('uploads three files (one of 64 MiB, with progress lines) as a ServiceAccount with only the uploader Role, byte for byte', async () => {
    // The namespace comes from the kubeconfig context, the Service and Secret names from the defaults.
    const run = await runCli(['stage', files.small, files.medium, files.large], { ...env, KUBECONFIG: kubeconfigs.uploader });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.any(String) });

    for (const file of Object.values(files)) {
      const sha256 = sha256Of(file);
      expect(run.stdout).toContain(`${file}: uploaded, `);
      expect(run.stdout).toContain(`  sha256 ${sha256}\n  url    http://${service}.${namespace}.svc:7080/v1/blobs/sha256/${sha256}\n`);
      expect(await backend.storedBlob(sha256)).toEqual({ sha256, size: fs.statSync(file).size });
    }
    // stderr is not a terminal: plain progress lines for the large file only, then the summary.
    expect(run.stderr).toMatch(new RegExp(`^uploading ${files.large}: 0% \\(0 B of 64\\.0 MiB\\)$`, 'm'));
    expect(run.stderr).toMatch(new RegExp(`^uploading ${files.large}: 100% \\(64\\.0 MiB of 64\\.0 MiB, [0-9.]+ [KMG]iB/s\\)$`, 'm'));
    expect(run.stderr).not.toContain(`uploading ${files.small}`);
    expect(run.stderr).not.toContain(`uploading ${files.medium}`);
    expect(run.stderr).toMatch(new RegExp(`^3 of 3 files staged to ${service} in namespace ${namespace}: 3 uploaded \\(67\\.0 MiB in [0-9.]+ s\\), 0 already staged$`, 'm'));

    // Per file a check, then the upload; the proxy delivered the token and never the user's credentials.
    expect(backend.requests.map((r) => `${r.method} ${r.url}`)).toEqual(
      Object.values(files).flatMap((file) => [`HEAD /v1/blobs/sha256/${sha256Of(file)}`, `PUT /v1/blobs/sha256/${sha256Of(file)}`]),
    );
    for (const request of backend.requests) {
      expect(request.headers.authorization).toBeUndefined();
      expect(request.headers['x-sparkplane-token']).toBe(backend.tokens.upload);
    }
    const put = backend.requests.find((r) => r.method === 'PUT' && r.url.endsWith(sha256Of(files.large)))!;
    expect(put.headers['content-length']).toBe(String(64 * MiB + 5));
    expect(put.headers['user-agent']).toMatch(/^sparkplane-cli\//);
  });

  it('uploads nothing the second time: every file is already staged, and the server sees only checks (--json)', async () => {
    const before = backend.requests.length;
    const run = await runCli(['stage', '--json', '--kubeconfig', kubeconfigs.uploader, files.small, files.medium, files.large], env);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toEqual({
      namespace,
      service,
      ok: true,
      files: Object.values(files).map((file) => ({
        file,
        size: fs.statSync(file).size,
        sha256: sha256Of(file),
        status: 'already-staged',
        url: `http://${service}.${namespace}.svc:7080/v1/blobs/sha256/${sha256Of(file)}`,
      })),
    });
    expect(backend.requests.slice(before).map((r) => r.method)).toEqual(['HEAD', 'HEAD', 'HEAD']);
  });

  it('refuses a file over the server\'s limit with that limit, and still stages the others (exit 1)', async () => {
    const tooLarge = path.join(root, 'data', 'too-large.bin');
    fs.writeFileSync(tooLarge, '');
    fs.truncateSync(tooLarge, 101 * MiB); // sparse: no disk space
    const fresh = path.join(root, 'data', 'fresh.txt');
    fs.writeFileSync(fresh, `staged after a refusal ${Date.now()}\n`);
    const run = await runCli(['stage', '-n', namespace, '--kubeconfig', kubeconfigs.uploader, tooLarge, fresh], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${tooLarge}: failed: ${tooLarge} (101.0 MiB) is larger than the staging server accepts: its limit is 100.0 MiB (104857600 bytes)`);
    expect(run.stdout).toContain(`${fresh}: uploaded, `);
    expect(await backend.storedBlob(sha256Of(fresh))).toBeDefined();
    expect(run.stderr).toMatch(/^1 of 2 files staged to .*: 1 uploaded .*, 0 already staged, 1 failed$/m);
  });

  it('tells a user without the services/proxy permission which RBAC is missing, and sends nothing to the server', async () => {
    const before = backend.requests.length;
    const run = await runCli(['stage', '--kubeconfig', kubeconfigs.tokenReaderOnly, files.small], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('sparkplane stage: error: the API server forbids you to query the staging server through its service proxy: ');
    expect(run.stderr).toContain(`cannot get resource "services/proxy"`);
    expect(run.stderr).toContain(
      `To stage files you need, in namespace "${namespace}": get and update on services/proxy with resourceNames ["${service}:http"], and get on secrets with resourceNames ["${secret}"]. ` +
        `A StagingServer named "${service}" renders them as the Role "${service}-uploader"`,
    );
    expect(run.stdout).toBe('');
    expect(backend.requests.length).toBe(before);
  });

  it('tells a user who may not read the tokens Secret which RBAC is missing', async () => {
    const run = await runCli(['stage', '--kubeconfig', kubeconfigs.nobody, files.small], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('sparkplane stage: error: you may not read the staging server\'s upload token: secrets "staging-server-tokens" is forbidden');
    expect(run.stderr).toContain(`and get on secrets with resourceNames ["${secret}"]`);
    expect(run.stderr).toMatch(/^0 of 1 file staged .*, 1 not attempted$/m);
  });

  it('says the API server cannot reach the server, naming apiServerPeers, when its endpoint refuses connections (503)', async () => {
    const address = nonLoopbackIPv4();
    await exposeThroughServiceProxy(admin, namespace, 'unreachable', address, await closedPort(address));
    await createTokensSecret(admin, namespace, 'unreachable-tokens', backend.tokens);
    const run = await runCli(['stage', '--service', 'unreachable', '--kubeconfig', connection().kubeconfig!, '-n', namespace, files.small], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`the API server could not reach the staging server behind the Service "unreachable" in namespace "${namespace}": error trying to reach service: dial tcp ${address}:`);
    expect(run.stderr).toContain('apiServerPeers');
  });

  it('says the Service is missing when no staging server is deployed under that name', async () => {
    await createTokensSecret(admin, namespace, 'absent-tokens', backend.tokens);
    const run = await runCli(['stage', '--service', 'absent', '--kubeconfig', connection().kubeconfig!, '-n', namespace, files.medium], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`the API server finds no Service "absent" with endpoints in namespace "${namespace}" (services "absent" not found)`);
  });

  it('rejects a missing file and a directory before sending any request (exit 2)', async () => {
    const before = backend.requests.length;
    const run = await runCli(['stage', '--kubeconfig', kubeconfigs.uploader, files.small, path.join(root, 'nope.jar'), path.join(root, 'data')], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`sparkplane stage: nothing staged:\n  ${path.join(root, 'nope.jar')}: no such file\n  ${path.join(root, 'data')}: is a directory; name the files in it instead\n`);
    expect(backend.requests.length).toBe(before);
  });
});
