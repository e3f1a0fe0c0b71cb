// The staging server's data API (docs/staging-server-research.md §7.2): PUT, HEAD and GET of
// /v1/blobs/sha256/<hex> and nothing else. A request's path either matches that pattern exactly or
// gets 404, so no byte of it ever reaches a file path. Tokens travel in X-Sparkplane-Token (the API
// server's proxy strips Authorization); uploads are refused by their declared size before a byte is read.
import * as http from 'http';
import { pipeline, Transform } from 'stream';
import { BLOB_PATH, STAGING_TOKEN_HEADER } from '../core/staging/protocol';
import type { Logger } from '../allocator/logger';
import { BlobStoreError, type BlobStore } from './blob-store';
import type { StagingMetrics } from './metrics';
import { roleOfToken, type TokenRole, type TokenSource } from './tokens';

/** The response header carrying a blob's digest on HEAD and GET. */
export const CONTENT_SHA256_HEADER = 'x-content-sha256';

/** What the data API serves from. */
export interface StagingDataApiOptions {
  readonly store: BlobStore;
  readonly tokens: TokenSource;
  /** Largest upload, bytes. */
  readonly maxUploadBytes: number;
  readonly metrics: StagingMetrics;
  readonly log: Logger;
}

/** Node's defaults would cut a slow 2 GiB upload at 300 s (requestTimeout): only idleness ends a request here. */
const SOCKET_IDLE_TIMEOUT_MS = 120_000;
/** Longer than the idle timeout of Go's transport in the API server's proxy (90 s), so it never reuses a connection the server is closing. */
const KEEP_ALIVE_TIMEOUT_MS = 100_000;

/** The data API as an HTTP server (not listening yet). */
export function createStagingDataServer(options: StagingDataApiOptions): http.Server {
  const server = http.createServer({ requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS });
  server.setTimeout(SOCKET_IDLE_TIMEOUT_MS);
  const api = new StagingDataApi(options);
  server.on('request', (req, res) => void api.handle(req, res, false));
  // With a listener here Node no longer answers 100 Continue itself: the headers (token, size) are
  // checked first, so a refused upload's body is never sent.
  server.on('checkContinue', (req, res) => void api.handle(req, res, true));
  return server;
}

/** The request handler of the data API. */
export class StagingDataApi {
  constructor(private readonly options: StagingDataApiOptions) {}

  /** Serves one request; never rejects. `expectsContinue`: the client waits for 100 Continue before the body. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, expectsContinue: boolean): Promise<void> {
    try {
      await this.route(req, res, expectsContinue);
    } catch (error) {
      this.options.log.error('request failed', { method: req.method, message: error instanceof Error ? error.message : String(error) });
      if (!res.headersSent) reply(req, res, 500, 'error', 'internal error');
      else res.destroy();
    }
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse, expectsContinue: boolean): Promise<void> {
    const { metrics } = this.options;
    const match = BLOB_PATH.exec(req.url ?? '');
    if (!match) return reply(req, res, 404, 'not_found', 'not found: the data API serves /v1/blobs/sha256/<64 lower-case hex characters> only');
    const sha256 = match[1];
    const method = req.method ?? '';
    if (method !== 'GET' && method !== 'HEAD' && method !== 'PUT') {
      res.setHeader('Allow', 'GET, HEAD, PUT');
      return reply(req, res, 405, 'method_not_allowed', `${method} is not allowed on a blob: use GET, HEAD or PUT`);
    }
    const operation = method === 'PUT' ? 'upload' : method === 'GET' ? 'download' : 'head';
    const endTimer = metrics.requestSeconds.startTimer({ operation });
    res.once('close', () => endTimer());
    const tokens = this.options.tokens.current();
    if (!tokens) {
      this.count(operation, 'error');
      res.setHeader('Retry-After', '5');
      return reply(req, res, 503, 'not_ready', 'the server has not read its tokens yet: try again shortly');
    }
    const role = roleOfToken(tokens, headerValue(req, STAGING_TOKEN_HEADER));
    if (!role) {
      this.count(operation, 'unauthorized');
      if (operation === 'upload') this.logUpload(req, sha256, 'unauthorized');
      return reply(req, res, 401, 'unauthorized', `a valid token is required in the ${STAGING_TOKEN_HEADER} header`);
    }
    if (operation === 'upload') return this.upload(req, res, sha256, role, expectsContinue);
    return this.download(req, res, sha256, method === 'HEAD');
  }

  private async upload(req: http.IncomingMessage, res: http.ServerResponse, sha256: string, role: TokenRole, expectsContinue: boolean): Promise<void> {
    const { store, metrics, maxUploadBytes } = this.options;
    if (role !== 'upload') {
      this.count('upload', 'unauthorized');
      this.logUpload(req, sha256, 'forbidden');
      return reply(req, res, 403, 'forbidden', 'the read token cannot upload: use the upload token');
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxUploadBytes) {
      metrics.uploads.inc({ result: 'too_large' });
      this.logUpload(req, sha256, 'too_large', { declaredBytes: Number(declared) });
      return reply(req, res, 413, 'too_large', `the body (${declared} bytes) is larger than the limit of ${maxUploadBytes} bytes`);
    }
    if (expectsContinue) res.writeContinue();
    const started = Date.now();
    try {
      const { status, size } = await store.put(sha256, req, maxUploadBytes);
      metrics.uploads.inc({ result: status });
      metrics.uploadBytes.inc(size);
      this.logUpload(req, sha256, status, { bytes: size, durationMs: Date.now() - started });
      reply(req, res, status === 'created' ? 201 : 200, status, status === 'created' ? 'stored' : 'already stored', { sha256, size });
    } catch (error) {
      if (!(error instanceof BlobStoreError)) {
        metrics.uploads.inc({ result: 'error' });
        const code = (error as NodeJS.ErrnoException).code;
        this.logUpload(req, sha256, 'error', { message: (error as Error).message, code });
        if (code === 'ENOSPC' || code === 'EDQUOT') return reply(req, res, 507, 'insufficient_storage', 'the storage volume is full');
        return reply(req, res, 500, 'error', 'the upload could not be stored');
      }
      const result = error.kind === 'invalid_digest' ? 'error' : error.kind;
      metrics.uploads.inc({ result });
      this.logUpload(req, sha256, result, { message: error.message, durationMs: Date.now() - started });
      if (error.kind === 'aborted') return void res.destroy();
      const status = error.kind === 'too_large' ? 413 : 400;
      reply(req, res, status, error.kind, error.message);
    }
  }

  private async download(req: http.IncomingMessage, res: http.ServerResponse, sha256: string, headOnly: boolean): Promise<void> {
    const { store, metrics, log } = this.options;
    if (headOnly) {
      // A check marks the blob used: the CLI and the Pulumi provider skip an upload on 200, so the
      // blob must then last another TTL.
      const found = await store.stat(sha256, true);
      if (!found) return reply(req, res, 404, 'not_found', 'no such blob');
      res.writeHead(200, blobHeaders(sha256, found.size));
      return void res.end();
    }
    const blob = await store.open(sha256);
    if (!blob) {
      metrics.downloads.inc({ result: 'not_found' });
      return reply(req, res, 404, 'not_found', 'no such blob');
    }
    res.writeHead(200, blobHeaders(sha256, blob.size));
    let sent = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        sent += chunk.length;
        done(null, chunk);
      },
    });
    const started = Date.now();
    await new Promise<void>((resolve) => {
      pipeline(blob.stream, counter, res, (error) => {
        metrics.downloadBytes.inc(sent);
        const result = !error ? 'ok' : res.writableFinished ? 'ok' : isPrematureClose(error) ? 'aborted' : 'error';
        metrics.downloads.inc({ result });
        const fields = { sha256, result, bytes: sent, size: blob.size, durationMs: Date.now() - started, remoteAddress: req.socket.remoteAddress };
        if (result === 'error') log.error('blob download failed', { ...fields, message: error!.message });
        else log.info(result === 'ok' ? 'blob downloaded' : 'blob download aborted by the client', fields);
        resolve();
      });
    });
  }

  private count(operation: 'upload' | 'download' | 'head', result: 'unauthorized' | 'error'): void {
    if (operation === 'upload') this.options.metrics.uploads.inc({ result });
    if (operation === 'download') this.options.metrics.downloads.inc({ result });
  }

  /** One line per upload attempt, with where it came from (operators learn the API server's address for the NetworkPolicy from it); never a token. */
  private logUpload(req: http.IncomingMessage, sha256: string, result: string, fields: Record<string, unknown> = {}): void {
    const line = {
      sha256,
      result,
      ...fields,
      remoteAddress: req.socket.remoteAddress,
      forwardedFor: headerValue(req, 'x-forwarded-for'),
      userAgent: headerValue(req, 'user-agent'),
    };
    if (result === 'created' || result === 'exists') this.options.log.info('blob uploaded', line);
    else if (result === 'error') this.options.log.error('blob upload failed', line);
    else this.options.log.warn('blob upload refused', line);
  }
}

function blobHeaders(sha256: string, size: number): http.OutgoingHttpHeaders {
  return {
    'Content-Type': 'application/octet-stream',
    'Content-Length': size,
    [CONTENT_SHA256_HEADER]: sha256,
    'ETag': `"sha256:${sha256}"`,
    'Cache-Control': 'private, max-age=31536000, immutable',
  };
}

/**
 * A JSON answer. When the request's body has not been read (a refusal), the connection closes after
 * the answer: Node then stops reading the body instead of receiving it all.
 */
function reply(req: http.IncomingMessage, res: http.ServerResponse, status: number, error: string, message: string, extra: Record<string, unknown> = {}): void {
  const body = JSON.stringify(status < 300 ? { status: error, message, ...extra } : { error, message, ...extra });
  const headers: http.OutgoingHttpHeaders = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) };
  if (!req.complete && hasBody(req)) headers.Connection = 'close';
  res.writeHead(status, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

function hasBody(req: http.IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function headerValue(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function isPrematureClose(error: NodeJS.ErrnoException): boolean {
  return error.code === 'ERR_STREAM_PREMATURE_CLOSE' || error.code === 'ECONNRESET' || error.code === 'EPIPE';
}
