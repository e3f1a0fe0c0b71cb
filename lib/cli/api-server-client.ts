// Requests to the Kubernetes API server with the user's kubeconfig credentials, over HTTP/1.1: its
// HTTP/2 upload window (256 KiB per stream) would throttle a large upload on a long link
// (docs/staging-server-research.md §5.3). Uploads stream a file with its Content-Length, so the API
// server's proxy passes the body through unbuffered and the staging server can refuse it by size;
// an upload may hold its body back a moment so that such a refusal arrives before the body does.
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import { READ_CHUNK_BYTES } from './local-files';

/** How to reach the API server as the user: what `KubeConfig` provides, reduced to what the CLI uses. */
export interface KubeConnection {
  /** The API server's URL (a path prefix, as some gateways use, is kept). */
  readonly server: URL;
  /** Adds the user's credentials and the cluster's TLS settings to request options (KubeConfig.applyToHTTPSOptions). */
  applyTo(options: https.RequestOptions): Promise<void>;
}

/** A file sent as a request body. */
export interface FileBody {
  readonly path: string;
  /** Bytes sent, as Content-Length: exactly this many are read from the file. */
  readonly size: number;
  /** Told the running total of bytes handed to the connection. */
  readonly onBytes?: (bytesSent: number) => void;
  /**
   * Time to wait after the headers for a refusal before sending the body, ms. A refusal that races a
   * large body through the API server's proxy gets lost: the staging server closes the connection
   * on the unread body, and the proxy reports a reset instead of the refusal. @default 0
   */
  readonly refusalWindowMs?: number;
}

/** An answer: its status, headers and body (capped; the rest of a large body is discarded). */
export interface ApiAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** Bodies the CLI reads are small (a Secret, a Status, an error); a blob's body is never read. */
const MAX_BODY_BYTES = 256 * 1024;
/** Without a byte in either direction for this long, a request is given up. */
const IDLE_TIMEOUT_MS = 120_000;

/** A request that got no answer (connection refused, reset, TLS failure, timeout). */
export class NoAnswerError extends Error {
  constructor(readonly cause: Error) {
    super(cause.message);
    this.name = 'NoAnswerError';
    (this as NodeJS.ErrnoException).code = (cause as NodeJS.ErrnoException).code;
  }
}

/** The file being sent could not be read to the end. */
export class FileReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FileReadError';
  }
}

/** Sends requests to the API server. */
export class ApiServerClient {
  constructor(private readonly connection: KubeConnection) {}

  /** The API server's URL, for messages. */
  get server(): URL {
    return this.connection.server;
  }

  /**
   * Sends `method path` with `headers` and, when given, a file as the body. Resolves to the answer
   * whatever its status; rejects with NoAnswerError when there is none. An answer that arrives while
   * the body is still being sent (a refusal) ends the upload: the rest of the file is not sent.
   */
  async request(method: string, path: string, headers: http.OutgoingHttpHeaders, body?: FileBody): Promise<ApiAnswer> {
    const server = this.connection.server;
    const options: https.RequestOptions = {
      method,
      protocol: server.protocol,
      hostname: server.hostname,
      port: server.port || (server.protocol === 'http:' ? 80 : 443),
      path: `${server.pathname.replace(/\/$/, '')}${path}`,
      headers: {
        ...headers,
        ...(body ? { 'Content-Type': 'application/octet-stream', 'Content-Length': body.size } : {}),
      },
    };
    await this.connection.applyTo(options);
    const transport = server.protocol === 'http:' ? http : https;

    return new Promise<ApiAnswer>((resolve, reject) => {
      let answered = false;
      let settled = false;
      let file: fs.ReadStream | undefined;
      const request = transport.request(options);
      const fail = (error: Error) => {
        file?.destroy();
        // Once an answer arrived, a broken connection (the server closing after a refusal) changes nothing.
        if (settled || answered) return;
        settled = true;
        reject(error instanceof FileReadError ? error : new NoAnswerError(error));
      };
      request.on('error', fail);
      request.setTimeout(IDLE_TIMEOUT_MS, () => request.destroy(new Error(`no progress for ${IDLE_TIMEOUT_MS / 1000} s`)));
      request.on('response', (response) => {
        answered = true;
        // An early answer (a refusal): stop reading the file; the connection is not reused.
        if (file && !file.readableEnded) {
          file.unpipe(request);
          file.destroy();
        }
        const chunks: Buffer[] = [];
        let kept = 0;
        const finish = () => {
          if (settled) return;
          settled = true;
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') });
          if (!request.writableFinished || !response.complete) request.destroy();
        };
        response.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          kept += chunk.length;
          // A body this large is not an error message: what was read is enough.
          if (kept >= MAX_BODY_BYTES) finish();
        });
        // The status is known: a body cut short still makes an answer.
        response.on('error', finish);
        response.on('close', finish);
        response.on('end', finish);
      });

      if (!body || body.size === 0) {
        request.end();
        return;
      }
      const sendBody = () => {
        if (answered || file) return;
        let sent = 0;
        file = fs.createReadStream(body.path, { start: 0, end: body.size - 1, highWaterMark: READ_CHUNK_BYTES });
        file.on('data', (chunk: Buffer | string) => {
          sent += chunk.length;
          body.onBytes?.(sent);
        });
        file.on('error', (error) => {
          fail(new FileReadError(`reading ${body.path} failed: ${error.message}`));
          request.destroy();
        });
        file.on('end', () => {
          // The file shrank since it was checked: the server would wait for the missing bytes.
          if (sent >= body.size) return;
          fail(new FileReadError(`${body.path} shrank while it was being sent (${sent} of ${body.size} bytes)`));
          request.destroy();
        });
        file.pipe(request);
      };
      if (!body.refusalWindowMs) return sendBody();
      request.flushHeaders();
      const window = setTimeout(sendBody, body.refusalWindowMs);
      request.on('close', () => clearTimeout(window));
    });
  }
}
