// The whole `sparkplane stage` flow against a local stand-in for the API server and the staging
// server behind its proxy: what is sent, what is skipped, what is printed, and when the run stops.
// (The real API server and the real staging server are in test/integration/stage-cli.test.ts.)
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { ApiServerClient } from '../../lib/cli/api-server-client';
import { checkLocalFiles } from '../../lib/cli/local-files';
import { refusalWindowMs, runStage, type StageEnvironment } from '../../lib/cli/stage';

const USER_TOKEN = 'user-bearer-token';
const UPLOAD_TOKEN = 'upload-token-0123456789abcdef';
const target = { namespace: 'spark', service: 'staging-server', secret: 'staging-server-tokens' };
const PROXY = /^\/api\/v1\/namespaces\/spark\/services\/staging-server:http\/proxy(\/v1\/blobs\/sha256\/([0-9a-f]{64}))$/;
const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

interface SeenRequest {
  method: string;
  url: string;
  authorization?: string;
  token?: string;
  bodyBytes: number;
}

/** The API server (authentication, RBAC, the Secret, the proxy) and the staging server behind it, in one small HTTP server. */
class FakeCluster {
  readonly blobs = new Map<string, Buffer>();
  readonly seen: SeenRequest[] = [];
  /** services/proxy verbs the user has; "get" on the Secret is `mayReadSecret`. */
  proxyVerbs = new Set(['get', 'update']);
  mayReadSecret = true;
  maxUploadBytes = 64 * 1024 * 1024;
  private readonly server = http.createServer((req, res) => this.handle(req, res));

  async start(): Promise<URL> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return new URL(`http://127.0.0.1:${(this.server.address() as AddressInfo).port}`);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const seen: SeenRequest = { method: req.method!, url: req.url!, authorization: req.headers.authorization, token: req.headers['x-sparkplane-token'] as string | undefined, bodyBytes: 0 };
    this.seen.push(seen);
    const status = (code: number, reason: string, message: string) => json(res, code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code });
    if (req.headers.authorization !== `Bearer ${USER_TOKEN}`) return status(401, 'Unauthorized', 'Unauthorized');
    if (req.url === '/api/v1/namespaces/spark/secrets/staging-server-tokens') {
      if (!this.mayReadSecret) return status(403, 'Forbidden', 'secrets "staging-server-tokens" is forbidden: User "alice" cannot get resource "secrets" in API group "" in the namespace "spark"');
      return json(res, 200, { kind: 'Secret', data: { 'upload-token': Buffer.from(UPLOAD_TOKEN).toString('base64') } });
    }
    const match = PROXY.exec(req.url ?? '');
    if (!match) return status(404, 'NotFound', 'services "other" not found');
    const verb = { HEAD: 'get', GET: 'get', PUT: 'update', POST: 'create' }[req.method!]!;
    if (!this.proxyVerbs.has(verb)) {
      return status(403, 'Forbidden', `services "staging-server:http" is forbidden: User "alice" cannot ${verb} resource "services/proxy" in API group "" in the namespace "spark"`);
    }
    // The staging server: the proxy has removed Authorization.
    delete req.headers.authorization;
    const digest = match[2];
    if (req.headers['x-sparkplane-token'] !== UPLOAD_TOKEN) return json(res, 401, { error: 'unauthorized', message: 'a valid token is required' });
    if (req.method === 'HEAD' || req.method === 'GET') {
      const blob = this.blobs.get(digest);
      res.writeHead(blob ? 200 : 404, blob ? { 'Content-Length': blob.length } : {});
      return void res.end();
    }
    const declared = Number(req.headers['content-length']);
    if (declared > this.maxUploadBytes) {
      res.setHeader('Connection', 'close');
      return json(res, 413, { error: 'too_large', message: `the body (${declared} bytes) is larger than the limit of ${this.maxUploadBytes} bytes` });
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      seen.bodyBytes += chunk.length;
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (sha256(body) !== digest) return json(res, 400, { error: 'digest_mismatch', message: `the body's SHA-256 is ${sha256(body)}, not ${digest}` });
      const existed = this.blobs.has(digest);
      this.blobs.set(digest, body);
      json(res, existed ? 200 : 201, { status: existed ? 'exists' : 'created' });
    });
  }
}

function json(res: http.ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** A run's captured output. */
class Capture {
  stdout = '';
  stderr = '';
  env(server: URL, overrides: Partial<StageEnvironment> = {}, isTTY = false): StageEnvironment {
    return {
      client: new ApiServerClient({
        server,
        applyTo: async (options) => {
          options.headers = { ...options.headers, Authorization: `Bearer ${USER_TOKEN}` };
        },
      }),
      stdout: { write: (text) => (this.stdout += text) },
      stderr: { write: (text) => (this.stderr += text), isTTY, columns: 100 },
      userAgent: 'sparkplane-cli/test',
      ...overrides,
    };
  }
}

describe('sparkplane stage, end to end against a stand-in cluster', () => {
  let root: string;
  let cluster: FakeCluster;
  let server: URL;

  const write = (name: string, content: Buffer | string) => {
    const file = path.join(root, name);
    fs.writeFileSync(file, content);
    return file;
  };
  const stage = async (paths: string[], env: StageEnvironment, output = { json: false, quiet: false }) => {
    const { files, problems } = await checkLocalFiles(paths);
    expect(problems).toEqual([]);
    return runStage(files, target, output, env);
  };

  beforeEach(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-cli-stage-'));
    cluster = new FakeCluster();
    server = await cluster.start();
  });
  afterEach(async () => {
    await cluster.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('uploads what is missing, skips what is there, and prints each file\'s SHA-256 and URL', async () => {
    const present = write('present.conf', 'spark.a=1\n');
    cluster.blobs.set(sha256('spark.a=1\n'), Buffer.from('spark.a=1\n'));
    const jarBytes = randomBytes(300 * 1024);
    const jar = write('app.jar', jarBytes);
    const output = new Capture();
    expect(await stage([present, jar], output.env(server))).toBe(0);

    expect(cluster.blobs.get(sha256(jarBytes))?.equals(jarBytes)).toBe(true);
    expect(output.stdout).toBe(
      `${present}: already staged, 10 B\n  sha256 ${sha256('spark.a=1\n')}\n  url    http://staging-server.spark.svc:7080/v1/blobs/sha256/${sha256('spark.a=1\n')}\n` +
        `${jar}: uploaded, 300.0 KiB\n  sha256 ${sha256(jarBytes)}\n  url    http://staging-server.spark.svc:7080/v1/blobs/sha256/${sha256(jarBytes)}\n`,
    );
    expect(output.stderr).toMatch(/^2 of 2 files staged to staging-server in namespace spark: 1 uploaded \(300\.0 KiB in [0-9.]+ s\), 1 already staged\n$/);
    // The Secret once, then per file a check; the upload only where the check said 404. The token on every proxied request.
    expect(cluster.seen.map((r) => `${r.method} ${r.url.replace(/[0-9a-f]{64}/, '<sha256>')}`)).toEqual([
      'GET /api/v1/namespaces/spark/secrets/staging-server-tokens',
      'HEAD /api/v1/namespaces/spark/services/staging-server:http/proxy/v1/blobs/sha256/<sha256>',
      'HEAD /api/v1/namespaces/spark/services/staging-server:http/proxy/v1/blobs/sha256/<sha256>',
      'PUT /api/v1/namespaces/spark/services/staging-server:http/proxy/v1/blobs/sha256/<sha256>',
    ]);
    expect(cluster.seen.slice(1).every((r) => r.token === UPLOAD_TOKEN && r.authorization === `Bearer ${USER_TOKEN}`)).toBe(true);
    expect(cluster.seen[0].token).toBeUndefined();
  });

  it('prints one JSON document with --json, and nothing else with --quiet', async () => {
    const a = write('a.txt', 'a');
    const output = new Capture();
    expect(await stage([a], output.env(server), { json: true, quiet: true })).toBe(0);
    expect(output.stderr).toBe('');
    expect(JSON.parse(output.stdout)).toEqual({
      namespace: 'spark', service: 'staging-server', ok: true,
      files: [{ file: a, size: 1, sha256: sha256('a'), status: 'uploaded', url: `http://staging-server.spark.svc:7080/v1/blobs/sha256/${sha256('a')}`, uploadMs: expect.any(Number) }],
    });
    const quiet = new Capture();
    expect(await stage([a], quiet.env(server), { json: false, quiet: true })).toBe(0);
    expect(quiet.stdout + quiet.stderr).toBe('');
  });

  it('stages a file someone else uploaded between the check and the upload as already staged', async () => {
    const a = write('a.txt', 'raced');
    const output = new Capture();
    // The check says 404; the upload finds the blob there (200).
    const client = output.env(server).client;
    const request = client.request.bind(client);
    client.request = async (method, apiPath, headers, body) => {
      if (method === 'PUT') cluster.blobs.set(sha256('raced'), Buffer.from('raced'));
      return request(method, apiPath, headers, body);
    };
    expect(await stage([a], { ...output.env(server), client })).toBe(0);
    expect(output.stdout).toContain(`${a}: already staged, 5 B`);
  });

  it('stops at the first proxy refusal with the RBAC to ask for, leaving the other files not attempted', async () => {
    cluster.proxyVerbs = new Set();
    const output = new Capture();
    expect(await stage([write('a.txt', 'a'), write('b.txt', 'b')], output.env(server), { json: true, quiet: false })).toBe(1);
    expect(output.stderr).toBe(
      'sparkplane stage: error: the API server forbids you to query the staging server through its service proxy: services "staging-server:http" is forbidden: ' +
        'User "alice" cannot get resource "services/proxy" in API group "" in the namespace "spark".\n' +
        'To stage files you need, in namespace "spark": get and update on services/proxy with resourceNames ["staging-server:http"], and get on secrets with resourceNames ["staging-server-tokens"]. ' +
        'A StagingServer named "staging-server" renders them as the Role "staging-server-uploader": ask to be listed in its uploaders, or for a RoleBinding to that Role ' +
        '(kubectl -n spark create rolebinding <name> --role=staging-server-uploader --user=<you>).\n',
    );
    expect(JSON.parse(output.stdout).files.map((f: { status: string }) => f.status)).toEqual(['failed', 'not-attempted']);
    // HEAD answers have no body: one GET of the same path fetched the API server's explanation.
    expect(cluster.seen.map((r) => r.method)).toEqual(['GET', 'HEAD', 'GET']);
  });

  it('names the RBAC for an upload refused after the check was allowed', async () => {
    cluster.proxyVerbs = new Set(['get']);
    const output = new Capture();
    expect(await stage([write('a.txt', 'a')], output.env(server))).toBe(1);
    expect(output.stderr).toContain('the API server forbids you to upload to the staging server through its service proxy: services "staging-server:http" is forbidden: User "alice" cannot update resource "services/proxy"');
  });

  it('asks for the Secret permission when the token cannot be read, and sends nothing through the proxy', async () => {
    cluster.mayReadSecret = false;
    const output = new Capture();
    expect(await stage([write('a.txt', 'a')], output.env(server))).toBe(1);
    expect(output.stderr).toMatch(/^sparkplane stage: error: you may not read the staging server's upload token: secrets "staging-server-tokens" is forbidden/);
    expect(output.stderr).toMatch(/\n0 of 1 file staged to staging-server in namespace spark: 0 uploaded, 0 already staged, 1 not attempted\n$/);
    expect(cluster.seen).toHaveLength(1);
  });

  it('refuses a file over the limit before sending its body, and goes on with the next file', async () => {
    cluster.maxUploadBytes = 512 * 1024;
    const big = write('big.bin', randomBytes(2 * 1024 * 1024));
    const small = write('small.txt', 'small');
    const output = new Capture();
    expect(await stage([big, small], output.env(server))).toBe(1);
    expect(output.stderr).toContain(`${big}: failed: ${big} (2.0 MiB) is larger than the staging server accepts: its limit is 512.0 KiB (524288 bytes).`);
    expect(output.stdout).toContain(`${small}: uploaded, 5 B`);
    expect(cluster.seen.find((r) => r.method === 'PUT' && r.url.endsWith(sha256(fs.readFileSync(big))))?.bodyBytes).toBe(0);
  });

  it('fails a file that changed after it was hashed (digest mismatch), and goes on', async () => {
    const changing = write('changing.txt', 'before');
    const stable = write('stable.txt', 'stable');
    const output = new Capture();
    const env = output.env(server);
    const request = env.client.request.bind(env.client);
    env.client.request = async (method, apiPath, headers, body) => {
      if (method === 'HEAD' && apiPath.endsWith(sha256('before'))) fs.writeFileSync(changing, 'after!');
      return request(method, apiPath, headers, body);
    };
    expect(await stage([changing, stable], env)).toBe(1);
    expect(output.stderr).toContain(`${changing}: failed: the staging server refused ${changing}: the body's SHA-256 is ${sha256('after!')}, not ${sha256('before')}. The file changed while it was being staged`);
    expect(output.stdout).toContain(`${stable}: uploaded`);
  });

  it('fails a file deleted or shortened after it was checked, without waiting for the server', async () => {
    const shrinking = write('shrinking.bin', randomBytes(100_000));
    const output = new Capture();
    const env = output.env(server);
    const request = env.client.request.bind(env.client);
    env.client.request = async (method, apiPath, headers, body) => {
      if (method === 'PUT') fs.truncateSync(shrinking, 10);
      return request(method, apiPath, headers, body);
    };
    expect(await stage([shrinking], env)).toBe(1);
    expect(output.stderr).toContain(`${shrinking}: failed: ${shrinking} shrank while it was being sent (10 of 100000 bytes)`);
  });

  it('says the API server does not answer, and attempts nothing', async () => {
    await cluster.stop();
    const output = new Capture();
    expect(await stage([write('a.txt', 'a')], output.env(server))).toBe(1);
    expect(output.stderr).toMatch(new RegExp(`^sparkplane stage: error: reading the upload token failed: no answer from the API server at ${server.origin} \\(connect ECONNREFUSED .*\\): is the cluster of your kubeconfig context reachable from here\\?\n`));
  });

  it('shows plain progress lines for a large file in a log, and a bar for hashing and uploading on a terminal', async () => {
    const large = write('large.bin', randomBytes(9 * 1024 * 1024));
    const log = new Capture();
    expect(await stage([large], log.env(server))).toBe(0);
    expect(log.stderr).toMatch(new RegExp(`^uploading ${large}: 0% \\(0 B of 9\\.0 MiB\\)\nuploading ${large}: 100% \\(9\\.0 MiB of 9\\.0 MiB, [0-9.]+ [KMG]iB/s\\)\n1 of 1 file staged`));
    expect(log.stderr).not.toContain('hashing');

    cluster.blobs.clear();
    const terminal = new Capture();
    expect(await stage([large], terminal.env(server, {}, true))).toBe(0);
    expect(terminal.stderr).toMatch(/^\rhashing .*large\.bin \[[#.]+\]   0%  0 B of 9\.0 MiB\x1b\[K/);
    expect(terminal.stderr).toContain('\ruploading ');
    expect(terminal.stderr).toMatch(/\r\x1b\[K1 of 1 file staged/);
  });

  it('waits for a refusal only before a body too large to arrive whole, for twice the check\'s round trip within [250 ms, 2 s]', () => {
    expect(refusalWindowMs(256 * 1024, 40)).toBe(0);
    expect(refusalWindowMs(256 * 1024 + 1, 40)).toBe(250);
    expect(refusalWindowMs(10 ** 9, 400)).toBe(800);
    expect(refusalWindowMs(10 ** 9, 5000)).toBe(2000);
  });
});
