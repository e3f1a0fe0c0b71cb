// A minimal asynchronous Kubernetes API client over Node's https, with the credentials of a
// kubeconfig (client certificate, or token). The e2e suite needs it because its process kubelet runs
// in the test's own process: kubectl through spawnSync would stall the kubelet's event loop, and
// @kubernetes/client-node is not a dependency of the project.
import * as fs from 'fs';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';

/** How to reach and authenticate to one API server. */
export interface KubeCredentials {
  readonly server: URL;
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly token?: string;
  readonly insecureSkipTlsVerify?: boolean;
}

/** The current context's cluster and user of a kubeconfig file (default: $KUBECONFIG or ~/.kube/config). */
export function loadKubeconfig(file?: string): KubeCredentials {
  const configPath = file ?? process.env.KUBECONFIG?.split(path.delimiter)[0] ?? path.join(os.homedir(), '.kube', 'config');
  const config = parse(fs.readFileSync(configPath, 'utf8'));
  const contextName = config['current-context'];
  const context = (config.contexts ?? []).find((c: any) => c.name === contextName)?.context;
  if (!context) throw new Error(`${configPath}: no context "${contextName}"`);
  const cluster = (config.clusters ?? []).find((c: any) => c.name === context.cluster)?.cluster;
  const user = (config.users ?? []).find((u: any) => u.name === context.user)?.user ?? {};
  if (!cluster?.server) throw new Error(`${configPath}: no server for cluster "${context.cluster}"`);
  const base = path.dirname(configPath);
  const material = (data?: string, file?: string) =>
    data ? Buffer.from(data, 'base64') : file ? fs.readFileSync(path.resolve(base, file)) : undefined;
  if (user.exec || user['auth-provider']) throw new Error(`${configPath}: user "${context.user}" uses an exec or auth-provider plugin, which this small client does not run`);
  return {
    server: new URL(cluster.server),
    ca: material(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: material(user['client-certificate-data'], user['client-certificate']),
    key: material(user['client-key-data'], user['client-key']),
    token: user.token ?? (user.tokenFile ? fs.readFileSync(path.resolve(base, user.tokenFile), 'utf8').trim() : undefined),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
  };
}

/** An API call that did not succeed: method, path, HTTP status and the server's message. */
export class KubeApiError extends Error {
  constructor(readonly method: string, readonly path: string, readonly status: number, readonly body: any) {
    super(`${method} ${path}: HTTP ${status}${body?.message ? `: ${body.message}` : typeof body === 'string' && body ? `: ${body.slice(0, 500)}` : ''}`);
    this.name = 'KubeApiError';
  }
}

export interface RequestOptions {
  readonly body?: unknown;
  /** Content type of the body. @default application/json */
  readonly contentType?: string;
  readonly query?: Record<string, string | number | boolean | undefined>;
  /** @default 30 s */
  readonly timeoutMs?: number;
}

export type PatchType = 'merge' | 'strategic' | 'json';
const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

export class KubeApi {
  private readonly agent: https.Agent;

  constructor(readonly credentials: KubeCredentials) {
    this.agent = new https.Agent({
      keepAlive: true,
      maxSockets: 8,
      ca: credentials.ca,
      cert: credentials.cert,
      key: credentials.key,
      rejectUnauthorized: !credentials.insecureSkipTlsVerify,
    });
  }

  /** One call; resolves with the HTTP status and the parsed body whatever the status. */
  raw(method: string, apiPath: string, options: RequestOptions = {}): Promise<{ status: number; body: any }> {
    const query = Object.entries(options.query ?? {}).filter(([, v]) => v !== undefined).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
    const payload = options.body === undefined ? undefined : Buffer.from(typeof options.body === 'string' ? options.body : JSON.stringify(options.body));
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (payload) {
      headers['Content-Type'] = options.contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    if (this.credentials.token) headers.Authorization = `Bearer ${this.credentials.token}`;
    return new Promise((resolve, reject) => {
      const request = https.request(
        {
          protocol: 'https:',
          hostname: this.credentials.server.hostname,
          port: this.credentials.server.port || 443,
          path: `${this.credentials.server.pathname.replace(/\/$/, '')}${apiPath}${query ? `?${query}` : ''}`,
          method,
          headers,
          agent: this.agent,
          timeout: options.timeoutMs ?? 30_000,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => chunks.push(c));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: any = text;
            if ((response.headers['content-type'] ?? '').includes('json') && text) {
              try {
                body = JSON.parse(text);
              } catch {
                // keep the text
              }
            }
            resolve({ status: response.statusCode ?? 0, body });
          });
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new Error(`${method} ${apiPath}: no answer within ${(options.timeoutMs ?? 30_000) / 1000} s`)));
      request.on('error', reject);
      request.end(payload);
    });
  }

  /** One call; throws KubeApiError unless the status is 2xx. */
  async request<T = any>(method: string, apiPath: string, options: RequestOptions = {}): Promise<T> {
    const { status, body } = await this.raw(method, apiPath, options);
    if (status < 200 || status >= 300) throw new KubeApiError(method, apiPath, status, body);
    return body as T;
  }

  get<T = any>(apiPath: string, query?: RequestOptions['query']): Promise<T> {
    return this.request<T>('GET', apiPath, { query });
  }

  /** The object, or undefined on 404. */
  async getIfExists<T = any>(apiPath: string): Promise<T | undefined> {
    const { status, body } = await this.raw('GET', apiPath);
    if (status === 404) return undefined;
    if (status < 200 || status >= 300) throw new KubeApiError('GET', apiPath, status, body);
    return body as T;
  }

  create<T = any>(apiPath: string, body: unknown): Promise<T> {
    return this.request<T>('POST', apiPath, { body });
  }

  patch<T = any>(apiPath: string, body: unknown, type: PatchType = 'merge'): Promise<T> {
    return this.request<T>('PATCH', apiPath, { body, contentType: PATCH_CONTENT_TYPE[type] });
  }

  /** DELETE; a 404 is not an error (returns false). */
  async delete(apiPath: string, body?: unknown): Promise<boolean> {
    const { status, body: answer } = await this.raw('DELETE', apiPath, { body });
    if (status === 404) return false;
    if (status < 200 || status >= 300) throw new KubeApiError('DELETE', apiPath, status, answer);
    return true;
  }

  /** Pods, in one namespace or all, optionally by label and field selector. */
  async pods(options: { namespace?: string; labelSelector?: string; fieldSelector?: string } = {}): Promise<any[]> {
    const base = options.namespace ? `/api/v1/namespaces/${options.namespace}/pods` : '/api/v1/pods';
    const list = await this.get(base, { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector });
    return list.items ?? [];
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The suite's API client: the kubeconfig the global setup published (see test/integration/support/cluster-env.ts). */
export function suiteKubeApi(): KubeApi {
  // Imported lazily so this module also works outside Jest's global setup (e.g. from a probe script).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { connection } = require('../../integration/support/cluster-env') as typeof import('../../integration/support/cluster-env');
  return new KubeApi(loadKubeconfig(connection().kubeconfig));
}
