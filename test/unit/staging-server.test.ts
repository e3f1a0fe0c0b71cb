// The staging server's data API, a real HTTP server on loopback over a real directory, fed hostile
// requests: paths that try to leave the storage directory, bodies larger than the limit (declared or
// not), wrong digests, missing and wrong tokens, and clients that go away mid-transfer.
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { jsonLogger } from '../../lib/allocator/logger';
import { STAGING_TOKEN_HEADER } from '../../lib/core/staging/protocol';
import { BlobStore } from '../../lib/staging-server/blob-store';
import { STAGING_METRIC_NAMES, StagingMetrics } from '../../lib/staging-server/metrics';
import { createStagingDataServer } from '../../lib/staging-server/server';
import { type StagingTokens, type TokenSource } from '../../lib/staging-server/tokens';

const TOKENS: StagingTokens = { upload: 'upload-token-0123456789abcdef', read: 'read-token-0123456789abcdef' };
const MAX = 8 * 2 ** 20;
const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

describe('the staging server\'s data API', () => {
  let root: string;
  let store: BlobStore;
  let metrics: StagingMetrics;
  let server: http.Server;
  let port: number;
  const tokens = new (class implements TokenSource {
    loaded = true;
    current = () => (this.loaded ? TOKENS : undefined);
  })();
  const logLines: string[] = [];
  const temporaryFiles = () => fs.readdirSync(path.join(root, 'tmp'));
  const metricValue = async (name: string, labels = '') => {
    const text = await metrics.registry.metrics();
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
    return line === undefined ? 0 : Number(line.split(' ')[1]);
  };

  /** One request; `body` undefined sends none. */
  const send = (method: string, target: string, options: { headers?: http.OutgoingHttpHeaders; body?: Buffer | Buffer[] } = {}) =>
    new Promise<Answer>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path: target, headers: options.headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      for (const chunk of Array.isArray(options.body) ? options.body : options.body ? [options.body] : []) req.write(chunk);
      req.end();
    });
  const put = (digest: string, body: Buffer, token: string | null = TOKENS.upload, headers: http.OutgoingHttpHeaders = {}) =>
    send('PUT', `/v1/blobs/sha256/${digest}`, { headers: { ...(token ? { [STAGING_TOKEN_HEADER]: token } : {}), 'Content-Length': body.length, ...headers }, body });

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-staging-http-'));
    store = await BlobStore.openDirectory(root);
    metrics = new StagingMetrics(store, { defaultMetrics: false });
    server = createStagingDataServer({ store, tokens, maxUploadBytes: MAX, metrics, log: jsonLogger('debug', 'staging-server', (line) => logLines.push(line)) });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('stores an upload under its digest (201, then 200), answers HEAD with its size and digest, and streams it back byte-identical', async () => {
    const data = randomBytes(6 * 2 ** 20 - 17);
    const digest = sha(data);
    const created = await put(digest, data, TOKENS.upload, { 'X-Forwarded-For': '10.0.0.7' });
    expect(created.status).toBe(201);
    expect(JSON.parse(created.body.toString())).toEqual({ status: 'created', message: 'stored', sha256: digest, size: data.length });
    expect((await put(digest, data)).status).toBe(200);
    for (const token of [TOKENS.read, TOKENS.upload]) {
      const head = await send('HEAD', `/v1/blobs/sha256/${digest}`, { headers: { [STAGING_TOKEN_HEADER]: token } });
      expect(head).toMatchObject({ status: 200, body: Buffer.alloc(0) });
      expect(head.headers).toMatchObject({ 'content-length': String(data.length), 'x-content-sha256': digest, 'content-type': 'application/octet-stream' });
      const got = await send('GET', `/v1/blobs/sha256/${digest}`, { headers: { [STAGING_TOKEN_HEADER]: token } });
      expect(got.status).toBe(200);
      expect(got.headers['content-length']).toBe(String(data.length));
      expect(got.headers['content-encoding']).toBeUndefined();
      expect(got.body.equals(data)).toBe(true);
    }
    const unknown = sha('never uploaded');
    expect((await send('HEAD', `/v1/blobs/sha256/${unknown}`, { headers: { [STAGING_TOKEN_HEADER]: TOKENS.read } })).status).toBe(404);
    expect((await send('GET', `/v1/blobs/sha256/${unknown}`, { headers: { [STAGING_TOKEN_HEADER]: TOKENS.read } })).status).toBe(404);
    const uploaded = logLines.map((l) => JSON.parse(l)).find((l) => l.msg === 'blob uploaded' && l.result === 'created');
    expect(uploaded).toMatchObject({ sha256: digest, bytes: data.length, remoteAddress: '127.0.0.1', forwardedFor: '10.0.0.7' });
    expect(await metricValue('sparkplane_staging_uploads_total', '{result="created"}')).toBe(1);
    expect(await metricValue('sparkplane_staging_downloads_total', '{result="ok"}')).toBe(2);
    expect(await metricValue('sparkplane_staging_download_bytes_total')).toBe(2 * data.length);
  });

  it('answers 404 to every path but /v1/blobs/sha256/<64 lower-case hex>, and never serves a file by any other name', async () => {
    const data = Buffer.from('the real blob');
    const digest = sha(data);
    expect((await put(digest, data)).status).toBe(201);
    fs.writeFileSync(path.join(root, 'outside'), 'secret');
    const hostile = [
      '/v1/blobs/sha256/../../etc/passwd',
      '/v1/blobs/sha256/../../../outside',
      '/v1/blobs/sha256/%2e%2e/%2e%2e/outside',
      '/v1/blobs/sha256/..%2f..%2f..%2foutside',
      '/v1/blobs/sha256/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
      `/v1/blobs/sha256/${digest.toUpperCase()}`,
      `/v1/blobs/sha256/${digest.slice(0, 63)}`,
      `/v1/blobs/sha256/${digest}0`,
      `/v1/blobs/sha256/${digest}/`,
      `/v1/blobs/sha256/${digest}/..`,
      `/v1/blobs/sha256/${digest}%00`,
      `/v1/blobs/sha256/${digest}%2f`,
      `//v1/blobs/sha256/${digest}`,
      `/v1//blobs/sha256/${digest}`,
      `/v1/blobs//sha256/${digest}`,
      `/v1/blobs/sha256//${digest}`,
      `/v1/blobs/sha256/${digest}?download=1`,
      `/v1/blobs/sha256/${digest}?`,
      `/v1/blobs/sha512/${digest}`,
      `/V1/blobs/sha256/${digest}`,
      `/v1/blobs/sha256/./${digest}`,
      `/v1/blobs/sha256/${digest.slice(0, 2)}/${digest}`,
      `http://127.0.0.1:${port}/v1/blobs/sha256/${digest}`,
      '/', '/healthz', '/metrics', '/tmp', '/blobs',
    ];
    for (const target of hostile) {
      for (const method of ['GET', 'HEAD', 'PUT', 'DELETE']) {
        const answer = await send(method, target, { headers: { [STAGING_TOKEN_HEADER]: TOKENS.upload }, body: method === 'PUT' ? Buffer.from('x') : undefined });
        expect({ target, method, status: answer.status }).toEqual({ target, method, status: 404 });
        expect(answer.body.includes('secret')).toBe(false);
        expect(answer.body.includes('root:')).toBe(false);
      }
    }
    expect(fs.readFileSync(path.join(root, 'outside'), 'utf8')).toBe('secret');
    expect(temporaryFiles()).toEqual([]);
    expect((await send('GET', `/v1/blobs/sha256/${digest}`, { headers: { [STAGING_TOKEN_HEADER]: TOKENS.read } })).body.equals(data)).toBe(true);
  });

  it('answers 405 with Allow to other methods on a blob path', async () => {
    for (const method of ['POST', 'DELETE', 'PATCH', 'OPTIONS']) {
      const answer = await send(method, `/v1/blobs/sha256/${sha('x')}`, { headers: { [STAGING_TOKEN_HEADER]: TOKENS.upload } });
      expect(answer.status).toBe(405);
      expect(answer.headers.allow).toBe('GET, HEAD, PUT');
    }
  });

  it('refuses a missing or unknown token (401) and the read token for uploads (403), and never logs a token', async () => {
    const data = Buffer.from('guarded');
    const digest = sha(data);
    expect((await put(digest, data, null)).status).toBe(401);
    expect((await put(digest, data, 'not-a-token-but-long-enough')).status).toBe(401);
    expect((await put(digest, data, `${TOKENS.upload}x`)).status).toBe(401);
    expect((await put(digest, data, TOKENS.upload.slice(0, -1))).status).toBe(401);
    expect((await put(digest, data, TOKENS.read)).status).toBe(403);
    // An Authorization header is no token (the API server's proxy strips it anyway).
    expect((await put(digest, data, null, { Authorization: `Bearer ${TOKENS.upload}` })).status).toBe(401);
    expect(await store.has(digest)).toBe(false);
    expect((await put(digest, data)).status).toBe(201);
    for (const token of [undefined, 'wrong-token-0123456789']) {
      for (const method of ['GET', 'HEAD']) {
        expect((await send(method, `/v1/blobs/sha256/${digest}`, { headers: token ? { [STAGING_TOKEN_HEADER]: token } : {} })).status).toBe(401);
      }
    }
    expect(await metricValue('sparkplane_staging_uploads_total', '{result="unauthorized"}')).toBeGreaterThanOrEqual(6);
    const refused = logLines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'blob upload refused');
    expect(refused.map((l) => l.result)).toEqual(expect.arrayContaining(['unauthorized', 'forbidden']));
    const logs = logLines.join('\n');
    for (const secret of [TOKENS.upload, TOKENS.read, Buffer.from(TOKENS.upload).toString('base64')]) expect(logs).not.toContain(secret);
  });

  it('answers 413 to a declared Content-Length over the limit before reading a byte (also with Expect: 100-continue)', async () => {
    // Only the headers are sent: the answer must come without the body.
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(`PUT /v1/blobs/sha256/${sha('big')} HTTP/1.1\r\nHost: x\r\n${STAGING_TOKEN_HEADER}: ${TOKENS.upload}\r\nContent-Length: ${MAX + 1}\r\n\r\n`);
      });
      let text = '';
      socket.on('data', (chunk) => (text += chunk));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 413 /);
    expect(raw).toMatch(/connection: close/i);

    let continued = false;
    const answer = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'PUT', path: `/v1/blobs/sha256/${sha('big')}`, agent: false, headers: { [STAGING_TOKEN_HEADER]: TOKENS.upload, 'Content-Length': MAX + 1, Expect: '100-continue' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('continue', () => (continued = true));
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(answer).toBe(413);
    expect(continued).toBe(false);
    expect(await metricValue('sparkplane_staging_uploads_total', '{result="too_large"}')).toBeGreaterThanOrEqual(2);
    expect(temporaryFiles()).toEqual([]);
  });

  it('stops a chunked body at the limit with 413 and deletes what it had written', async () => {
    const chunk = randomBytes(256 * 1024);
    const answer = await new Promise<{ status: number; closed: boolean }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'PUT', path: `/v1/blobs/sha256/${sha('chunked')}`, agent: false, headers: { [STAGING_TOKEN_HEADER]: TOKENS.upload, 'Transfer-Encoding': 'chunked' } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, closed: res.headers.connection === 'close' }));
      });
      req.on('error', (error) => (error.message.includes('EPIPE') || (error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(error)));
      let sent = 0;
      const write = () => {
        // Keeps sending well past the limit unless the server stops it.
        while (sent < 4 * MAX && !req.destroyed) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', write);
        }
        req.end();
      };
      write();
    });
    expect(answer).toEqual({ status: 413, closed: true });
    await new Promise((r) => setTimeout(r, 50));
    expect(temporaryFiles()).toEqual([]);
    expect(await store.has(sha('chunked'))).toBe(false);
  });

  it('refuses a body that does not match its digest (400) and stores nothing', async () => {
    const claimed = sha('what the client claims');
    const answer = await put(claimed, Buffer.from('what the client sends'));
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body.toString())).toMatchObject({ error: 'digest_mismatch' });
    expect(await store.has(claimed)).toBe(false);
    expect(await store.has(sha('what the client sends'))).toBe(false);
    expect(temporaryFiles()).toEqual([]);
    expect(await metricValue('sparkplane_staging_uploads_total', '{result="digest_mismatch"}')).toBe(1);
  });

  it('takes an upload after 100 Continue, and deletes the temporary file of an upload cut off midway', async () => {
    const data = randomBytes(100_000);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'PUT', path: `/v1/blobs/sha256/${sha(data)}`, agent: false, headers: { [STAGING_TOKEN_HEADER]: TOKENS.upload, 'Content-Length': data.length, Expect: '100-continue' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('continue', () => req.end(data));
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(status).toBe(201);

    const half = randomBytes(1_000_000);
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`PUT /v1/blobs/sha256/${sha('cut')} HTTP/1.1\r\nHost: x\r\n${STAGING_TOKEN_HEADER}: ${TOKENS.upload}\r\nContent-Length: 2000000\r\n\r\n`);
    socket.write(half);
    const deadline = Date.now() + 5000;
    while (temporaryFiles().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(temporaryFiles()).toHaveLength(1);
    socket.destroy();
    while ((await metricValue('sparkplane_staging_uploads_total', '{result="aborted"}')) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(await metricValue('sparkplane_staging_uploads_total', '{result="aborted"}')).toBe(1);
    expect(temporaryFiles()).toEqual([]);
    expect(await store.has(sha('cut'))).toBe(false);
  });

  it('closes the blob file when a client drops a download midway (no descriptor leak)', async () => {
    const data = randomBytes(MAX);
    expect((await put(sha(data), data)).status).toBe(201);
    const openFiles = () => fs.readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(root);
      } catch {
        return false;
      }
    }).length;
    const before = await metricValue('sparkplane_staging_downloads_total', '{result="aborted"}');
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: `/v1/blobs/sha256/${sha(data)}`, agent: false, headers: { [STAGING_TOKEN_HEADER]: TOKENS.read } }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(error)));
      });
    }
    const deadline = Date.now() + 5000;
    while ((await metricValue('sparkplane_staging_downloads_total', '{result="aborted"}')) < before + 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(await metricValue('sparkplane_staging_downloads_total', '{result="aborted"}')).toBe(before + 3);
    expect(openFiles()).toBe(0);
  });

  it('answers 503 while it has no tokens', async () => {
    tokens.loaded = false;
    try {
      const answer = await send('GET', `/v1/blobs/sha256/${sha('x')}`, { headers: { [STAGING_TOKEN_HEADER]: TOKENS.read } });
      expect(answer.status).toBe(503);
      expect(answer.headers['retry-after']).toBe('5');
    } finally {
      tokens.loaded = true;
    }
  });

  it('exports the metrics it documents', async () => {
    const text = await metrics.registry.metrics();
    for (const name of STAGING_METRIC_NAMES) expect(text).toContain(`# TYPE ${name} `);
    expect(await metricValue('sparkplane_staging_blobs')).toBe(store.stats().blobs);
    expect(await metricValue('sparkplane_staging_volume_free_bytes')).toBeGreaterThan(0);
  });
});
