// The driver's init container, `sparkplane fetch-staged`, against a real staging server on loopback:
// files appear whole, verified and readable by Spark's user; a refused token, an unknown file and a
// damaged copy stop it at once; a server that is not up yet is waited for; unsafe names never get in.
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import type * as http from 'http';
import * as net from 'net';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import { jsonLogger } from '../../lib/allocator/logger';
import { BlobStore } from '../../lib/staging-server/blob-store';
import { fetchStaged, FetchStagedError, parseFetchStagedArgs, runFetchStaged, stagedFileNameProblem, type FetchStagedOptions } from '../../lib/staging-server/fetch-staged';
import { StagingMetrics } from '../../lib/staging-server/metrics';
import { createStagingDataServer } from '../../lib/staging-server/server';
import type { StagingTokens, TokenSource } from '../../lib/staging-server/tokens';

const TOKENS: StagingTokens = { upload: 'upload-token-0123456789abcdef', read: 'read-token-0123456789abcdef' };
const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

describe('fetch-staged against a staging server on loopback', () => {
  let root: string;
  let store: BlobStore;
  let server: http.Server;
  let port: number;
  const logLines: Array<Record<string, unknown>> = [];
  const log = jsonLogger('debug', 'fetch-staged', (line) => logLines.push(JSON.parse(line)));
  const tokens = new (class implements TokenSource {
    loaded = true;
    current = () => (this.loaded ? TOKENS : undefined);
  })();
  const jar = randomBytes(3 * 2 ** 20);
  const text = Buffer.from('spark.app.data=1\n');
  let dir: string;

  const startServer = async (listenPort = 0) => {
    server = createStagingDataServer({ store, tokens, maxUploadBytes: 2 ** 30, metrics: new StagingMetrics(store, { defaultMetrics: false }), log: jsonLogger('error', 'staging-server') });
    await new Promise<void>((resolve) => server.listen(listenPort, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  };
  const stopServer = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  const options = (overrides: Partial<FetchStagedOptions> = {}): FetchStagedOptions => ({
    server: `http://127.0.0.1:${port}`,
    token: TOKENS.read,
    dir,
    files: [{ sha256: sha(jar), name: 'app.jar' }, { sha256: sha(text), name: 'settings.conf' }],
    retryForMs: 10_000,
    firstRetryDelayMs: 50,
    log,
    ...overrides,
  });
  const failureOf = async (promise: Promise<unknown>) => promise.then(() => 'resolved', (error: Error) => `${error.name}: ${error.message}`);

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-staging-fetch-'));
    store = await BlobStore.openDirectory(path.join(root, 'store'));
    for (const data of [jar, text]) await store.put(sha(data), Readable.from([data]), 2 ** 30);
    await startServer();
  });
  afterAll(async () => {
    await stopServer();
    fs.rmSync(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(root, 'staged-'));
  });

  it('puts every file in place, complete, verified and mode 0644, and skips files already there', async () => {
    // Watches the folder while fetching: a name appears only with its whole content.
    let watching = true;
    const sightings: number[] = [];
    const watcher = (async () => {
      while (watching) {
        try {
          sightings.push(fs.statSync(path.join(dir, 'app.jar')).size);
        } catch {
          // Not there yet.
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    const previousUmask = process.umask(0o077);
    try {
      await expect(fetchStaged(options())).resolves.toEqual({ fetched: ['app.jar', 'settings.conf'], present: [] });
    } finally {
      process.umask(previousUmask);
      watching = false;
      await watcher;
    }
    expect(sightings.every((size) => size === jar.length)).toBe(true);
    expect(fs.readdirSync(dir).sort()).toEqual(['app.jar', 'settings.conf']);
    expect(fs.readFileSync(path.join(dir, 'app.jar')).equals(jar)).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'settings.conf')).equals(text)).toBe(true);
    for (const name of ['app.jar', 'settings.conf']) expect(fs.statSync(path.join(dir, name)).mode & 0o777).toBe(0o644);

    // A restarted init container: what is there and right stays, what is wrong is fetched again.
    fs.writeFileSync(path.join(dir, 'settings.conf'), 'tampered');
    await expect(fetchStaged(options())).resolves.toEqual({ fetched: ['settings.conf'], present: ['app.jar'] });
    expect(fs.readFileSync(path.join(dir, 'settings.conf')).equals(text)).toBe(true);
  });

  it('stops at once, with the reason, on a refused token or an unknown file', async () => {
    const started = Date.now();
    expect(await failureOf(fetchStaged(options({ token: 'wrong-token-0123456789abcdef' })))).toMatch(/FetchStagedError: app\.jar \([0-9a-f]{64}\): the staging server answered 401 .*the read token was refused/);
    expect(await failureOf(fetchStaged(options({ files: [{ sha256: sha('never staged'), name: 'missing.jar' }] })))).toMatch(/answered 404 .*no such file; stage it again/);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses a damaged copy on the server (digest mismatch) and leaves no file', async () => {
    const data = Buffer.from('a file whose stored copy gets damaged');
    await store.put(sha(data), Readable.from([data]), 1000);
    const damaged = Buffer.from(data);
    damaged[0] ^= 0xff;
    fs.writeFileSync(store.blobPath(sha(data)), damaged);
    expect(await failureOf(fetchStaged(options({ files: [{ sha256: sha(data), name: 'data.txt' }] })))).toMatch(/data\.txt: the downloaded file's SHA-256 is [0-9a-f]{64}, not [0-9a-f]{64}: the staging server's copy is damaged/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('waits for a server that is not up yet, and for one that has no tokens yet (503)', async () => {
    await stopServer();
    // Attempts after 0, 20, 60, 140, 300, 620, 1260 ms: refused while down, 503 while without tokens.
    const fetching = fetchStaged(options({ firstRetryDelayMs: 20 }));
    await new Promise((r) => setTimeout(r, 200));
    tokens.loaded = false;
    await startServer(port);
    await new Promise((r) => setTimeout(r, 800));
    tokens.loaded = true;
    await expect(fetching).resolves.toMatchObject({ fetched: ['app.jar', 'settings.conf'] });
    const retries = logLines.filter((l) => l.msg === 'fetching a staged file failed, retrying').map((l) => String(l.message));
    expect(retries.some((m) => m.includes('ECONNREFUSED'))).toBe(true);
    expect(retries.some((m) => m.includes('answered 503'))).toBe(true);
  });

  it('gives up after --timeout when the server never answers', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const free = (probe.address() as AddressInfo).port;
        probe.close(() => resolve(free));
      });
    });
    const started = Date.now();
    expect(await failureOf(fetchStaged(options({ server: `http://127.0.0.1:${closed}`, retryForMs: 800 })))).toMatch(/ECONNREFUSED.*gave up after \d+ attempts/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('accepts only single plain path segments as names', () => {
    for (const bad of ['', '.', '..', 'a/b', '../x', '/etc/passwd', 'a\u0000b', 'line\nbreak', 'x'.repeat(250)]) expect(stagedFileNameProblem(bad)).toBeDefined();
    for (const good of ['app.jar', '.hidden', 'my app-1.0+b2.zip', 'ünïcode.py', 'a\\b']) expect(stagedFileNameProblem(good)).toBeUndefined();
  });

  it('reads its command line, and refuses unsafe names, bad digests and missing flags with the usage', async () => {
    const digest = sha('x');
    expect(parseFetchStagedArgs(['--server', 'http://staging.spark.svc:7080', `--token-file=/var/run/t`, `${digest}=app.jar`, `${digest}=copy.jar`])).toEqual({
      server: 'http://staging.spark.svc:7080', tokenFile: '/var/run/t', dir: '/opt/sparkplane/staged', retryForMs: 120_000,
      files: [{ sha256: digest, name: 'app.jar' }, { sha256: digest, name: 'copy.jar' }],
    });
    expect(parseFetchStagedArgs(['--server=https://s:1/base/', '--token-file', 't', '--dir', '/d', '--timeout', '30s', `${digest}=a`])).toMatchObject({ server: 'https://s:1/base/', dir: '/d', retryForMs: 30_000 });
    const problems = (args: string[]) => {
      try {
        parseFetchStagedArgs(args);
        return '';
      } catch (error) {
        expect(error).toBeInstanceOf(FetchStagedError);
        return (error as Error).message;
      }
    };
    const message = problems(['--server', 'ftp://x', '--timeout', 'soon', '--verbose', `${digest}=../etc/passwd`, `${digest}=a/b`, `${digest}=..`, `${digest.toUpperCase()}=x`, `${digest}`, `${digest}=dup`, `${digest}=dup`]);
    for (const expected of [
      '--server "ftp://x" is not an http:// or https:// URL',
      '--token-file is required',
      '--timeout "soon" is not a Spark duration',
      'unknown option "--verbose"',
      `the name in "${digest}=../etc/passwd" contains "/"`,
      `the name in "${digest}=a/b" contains "/"`,
      `the name in "${digest}=.." is "." or ".."`,
      `"${digest.toUpperCase()}=x" is not <sha256>=<name>`,
      `"${digest}" is not <sha256>=<name>`,
      'the name "dup" is given twice',
      'usage: sparkplane fetch-staged',
    ]) expect(message).toContain(expected);
    expect(problems([])).toContain('usage: sparkplane fetch-staged');
    await expect(fetchStaged(options({ files: [{ sha256: digest, name: '../escape' }] }))).rejects.toThrow('contains "/"');
    expect(fs.existsSync(path.join(dir, '..', 'escape'))).toBe(false);
  });

  it('exits 0 when the files are in place, 1 when one cannot be fetched, 2 for a wrong command line', async () => {
    const tokenFile = path.join(root, 'read-token');
    fs.writeFileSync(tokenFile, `${TOKENS.read}\n`);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const args = (token: string) => ['--server', `http://127.0.0.1:${port}`, '--token-file', token, '--dir', dir, '--timeout', '600ms', `${sha(text)}=settings.conf`];
      expect(await runFetchStaged(args(tokenFile), log)).toBe(0);
      expect(fs.readFileSync(path.join(dir, 'settings.conf')).equals(text)).toBe(true);
      expect(await runFetchStaged(args(path.join(root, 'absent')), log)).toBe(1);
      expect(logLines.at(-1)).toMatchObject({ level: 'error', msg: 'fetching the staged files failed', message: expect.stringContaining('cannot read the token file') });
      expect(await runFetchStaged(['--server'], log)).toBe(2);
      expect(stderr).toHaveBeenCalledWith(expect.stringContaining('--server needs a value'));
    } finally {
      stderr.mockRestore();
    }
  });

  it('waits for a token file that the kubelet has not filled yet', async () => {
    const tokenFile = path.join(root, 'late-token');
    fs.writeFileSync(tokenFile, '');
    setTimeout(() => fs.writeFileSync(tokenFile, TOKENS.read), 200);
    expect(await runFetchStaged(['--server', `http://127.0.0.1:${port}`, '--token-file', tokenFile, '--dir', dir, `${sha(text)}=settings.conf`], log)).toBe(0);
    expect(logLines.some((l) => l.msg === 'waiting for the token file' && String(l.message).includes('is empty'))).toBe(true);
  });
});
