// The allocator's Kubernetes side, on @kubernetes/client-node: its KubeConfig for credentials (the
// pod's service account in the cluster, KUBECONFIG outside) and its Watch for event streams. Writes
// and lists go as plain JSON over one keep-alive HTTPS agent: the generated typed API would
// re-serialize Spark's pods through its model classes, dropping any field newer than the client.
import * as https from 'https';
import { Watch } from '@kubernetes/client-node/dist/watch.js';
import type { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import type { KubeJson } from '../core/allocator/protocol';
import { KubeApiError, type ExecutorPodWrites } from './executor-allocator';
import type { Logger } from './logger';

/** JSON requests to the API server. */
export class KubeRest {
  private readonly agent = new https.Agent({ keepAlive: true, maxSockets: 16 });
  private readonly server: URL;

  constructor(private readonly kubeConfig: KubeConfig, private readonly onRequest: (method: string) => void = () => {}) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('no current cluster in the Kubernetes configuration: set KUBECONFIG, or run in a pod with a service account');
    this.server = new URL(cluster.server);
  }

  /** Sends a request; resolves to the decoded body; rejects with KubeApiError for any status >= 400. */
  async request(method: string, path: string, body?: unknown): Promise<KubeJson> {
    const options: https.RequestOptions = {
      method,
      protocol: this.server.protocol,
      hostname: this.server.hostname,
      port: this.server.port || 443,
      path,
      agent: this.agent,
      headers: { 'Accept': 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      timeout: 30_000,
    };
    await this.kubeConfig.applyToHTTPSOptions(options);
    this.onRequest(method);
    return new Promise((resolve, reject) => {
      const req = https.request(options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let decoded: KubeJson = {};
          try {
            decoded = text ? (JSON.parse(text) as KubeJson) : {};
          } catch {
            decoded = { message: text.slice(0, 500) };
          }
          const status = res.statusCode ?? 0;
          if (status >= 400) reject(new KubeApiError(status, String(decoded.reason ?? ''), String(decoded.message ?? `HTTP ${status}`)));
          else resolve(decoded);
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
      req.on('error', reject);
      if (body !== undefined) req.write(JSON.stringify(body));
      req.end();
    });
  }

  /** Lists a collection in pages of 500; resolves to its items and resourceVersion. */
  async list(path: string, query: Record<string, string>): Promise<{ items: KubeJson[]; resourceVersion: string }> {
    const items: KubeJson[] = [];
    let next: string | undefined;
    let resourceVersion = '';
    do {
      const params = new URLSearchParams({ ...query, limit: '500', ...(next ? { continue: next } : {}) });
      const page = await this.request('GET', `${path}?${params}`);
      items.push(...((page.items as KubeJson[]) ?? []));
      const metadata = (page.metadata ?? {}) as { continue?: string; resourceVersion?: string };
      next = metadata.continue || undefined;
      resourceVersion = metadata.resourceVersion ?? resourceVersion;
    } while (next);
    return { items, resourceVersion };
  }

  /** Closes idle connections. */
  close(): void {
    this.agent.destroy();
  }
}

/** The allocator's writes, in one namespace. */
export function executorPodWrites(rest: KubeRest, namespace: string): ExecutorPodWrites {
  const ns = encodeURIComponent(namespace);
  return {
    createPod: (pod) => rest.request('POST', `/api/v1/namespaces/${ns}/pods`, pod),
    createObject: (object) => rest.request('POST', `/api/v1/namespaces/${ns}/${collectionOf(object)}`, object),
    async deletePod(name) {
      try {
        await rest.request('DELETE', `/api/v1/namespaces/${ns}/pods/${encodeURIComponent(name)}`);
      } catch (error) {
        if (!(error instanceof KubeApiError && error.status === 404)) throw error;
      }
    },
  };
}

function collectionOf(object: KubeJson): string {
  if (object.kind === 'PersistentVolumeClaim') return 'persistentvolumeclaims';
  if (object.kind === 'ConfigMap') return 'configmaps';
  throw new KubeApiError(400, 'UnsupportedKind', `the allocator creates no ${String(object.kind)} for an executor`);
}

/** What a list-watch reports. */
export interface ListWatchHandlers {
  /** A full list: at start and after the watch's resourceVersion expired. */
  listed(items: KubeJson[], listStartedAt: number): void;
  /** One event. */
  event(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: KubeJson): void;
  /** The connection failed (it is retried with back-off). */
  failed(error: unknown): void;
}

/**
 * Lists a collection, then watches it from the list's resourceVersion. A dropped watch resumes from
 * the last resourceVersion seen; an expired one (410 Gone) relists. Watches also end on the server
 * every few minutes (timeoutSeconds), so a connection that died silently is noticed.
 */
export class ListWatch {
  private resourceVersion = '';
  private abort: AbortController | undefined;
  private stopped = false;
  private failures = 0;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly rest: KubeRest,
    private readonly kubeConfig: KubeConfig,
    private readonly path: string,
    private readonly query: Record<string, string>,
    private readonly handlers: ListWatchHandlers,
    private readonly log: Logger,
  ) {}

  /** Starts listing and watching. */
  start(): void {
    void this.relist();
  }

  /** Stops for good. */
  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.abort?.abort();
  }

  private async relist(): Promise<void> {
    if (this.stopped) return;
    const startedAt = Date.now();
    try {
      const { items, resourceVersion } = await this.rest.list(this.path, this.query);
      this.resourceVersion = resourceVersion;
      this.handlers.listed(items, startedAt);
      this.failures = 0;
      await this.watch();
    } catch (error) {
      this.handlers.failed(error);
      this.later(() => this.relist());
    }
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    let expired = false;
    const watch = new Watch(this.kubeConfig);
    const timeoutSeconds = String(240 + Math.floor(Math.random() * 120));
    this.abort = await watch.watch(
      this.path,
      { ...this.query, resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds },
      (type: string, object: KubeJson) => {
        const rv = (object?.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
        if (type === 'ERROR') {
          expired = (object as { code?: number }).code === 410;
          return;
        }
        if (rv) this.resourceVersion = rv;
        this.failures = 0;
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') this.handlers.event(type, object);
      },
      (error: unknown) => {
        if (this.stopped) return;
        if (expired || (error as { statusCode?: number } | null)?.statusCode === 410) {
          this.log.info('watch expired: listing again', { path: this.path });
          void this.relist();
        } else if (error) {
          this.handlers.failed(error);
          this.later(() => this.watch().catch(() => this.later(() => this.relist())));
        } else {
          void this.watch().catch(() => this.later(() => this.relist()));
        }
      },
    );
  }

  private later(action: () => void): void {
    if (this.stopped) return;
    const delay = Math.min(5000, 100 * 2 ** this.failures++);
    this.retry = setTimeout(action, delay);
  }
}
