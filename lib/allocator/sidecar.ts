// The allocator sidecar as a program: its configuration, its watches (the driver pod, the
// application's executor pods, the namespace's quotas), the bridge API on loopback and the health and
// metrics endpoints. The decisions are ExecutorAllocator's; this file only wires.
import * as http from 'http';
import type { AddressInfo } from 'net';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import type { BridgeHello, BridgeSync, KubeJson } from '../core/allocator/protocol';
import { DRIVER_CONTAINER_NAME } from '../core/spark-application/layout';
import { listen, serveHealthAndMetrics } from '../program/http';
import { allocatorConfigFromEnv, type AllocatorConfig } from './config';
import { ExecutorAllocator, KubeApiError } from './executor-allocator';
import { SPARK_LABELS } from './executor-pods';
import { executorPodWrites, KubeRest, ListWatch } from './kube-client';
import { jsonLogger, type Logger } from './logger';
import { AllocatorMetrics } from './metrics';

/** Largest request body the bridge API reads (a sync with minted pods is a few kB per pod). */
const MAX_BODY_BYTES = 32 * 2 ** 20;

/** A running sidecar. */
export interface RunningAllocator {
  /** The bound bridge API port. */
  readonly bridgePort: number;
  /** The bound health and metrics port. */
  readonly metricsPort: number;
  /** Stops watching and serving. */
  close(): Promise<void>;
}

/** Starts the sidecar with the settings in `env`. Throws EnvConfigError for bad settings. */
export async function runAllocatorSidecar(env: Readonly<Record<string, string | undefined>>): Promise<RunningAllocator> {
  const config = allocatorConfigFromEnv(env);
  const log = jsonLogger(config.logLevel, 'allocator');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  let lastSyncAt: number | undefined;
  const metrics = new AllocatorMetrics(() => (lastSyncAt === undefined ? 0 : (Date.now() - lastSyncAt) / 1000));
  const rest = new KubeRest(kubeConfig, (method) => metrics.apiRequests.inc({ method }));
  const allocator = new ExecutorAllocator(config, executorPodWrites(rest, config.namespace), metrics, log);
  const ns = encodeURIComponent(config.namespace);
  const watchFailed = (what: string) => (error: unknown) => {
    metrics.apiErrors.inc({ verb: 'watch', code: String((error as { statusCode?: number; status?: number })?.statusCode ?? (error as KubeApiError)?.status ?? 'network') });
    log.warn('watch failed; retrying', { what, message: error instanceof Error ? error.message : String(error) });
  };

  // The driver pod: the API is reachable once it is listed; when it ends, nothing more is created.
  let apiReachable = false;
  const driverState = (pod: KubeJson) => {
    const status = (pod.status ?? {}) as { phase?: string; containerStatuses?: Array<{ name: string; state?: { terminated?: unknown } }> };
    if (status.phase === 'Succeeded' || status.phase === 'Failed') allocator.driverFinished(`driver pod ${status.phase}`);
    // Without native sidecars the pod would keep Running on this container alone: a terminated
    // driver container ends the allocator's work too.
    else if (status.containerStatuses?.some((c) => c.name === DRIVER_CONTAINER_NAME && c.state?.terminated)) allocator.driverFinished('driver container terminated');
  };
  const driverWatch = new ListWatch(rest, kubeConfig, `/api/v1/namespaces/${ns}/pods`, { fieldSelector: `metadata.name=${config.driverPodName}` }, {
    listed(items) {
      apiReachable = true;
      if (items.length === 0) allocator.driverFinished('driver pod not found');
      else driverState(items[0]);
    },
    event(type, pod) {
      if (type === 'DELETED') allocator.driverFinished('driver pod deleted');
      else driverState(pod);
    },
    failed: watchFailed('driver pod'),
  }, log);

  const quotas = new Map<string, KubeJson>();
  const quotaName = (quota: KubeJson) => String((quota.metadata as { name?: string })?.name);
  const quotaWatch = new ListWatch(rest, kubeConfig, `/api/v1/namespaces/${ns}/resourcequotas`, {}, {
    listed(items) {
      quotas.clear();
      for (const quota of items) quotas.set(quotaName(quota), quota);
      allocator.quotasChanged([...quotas.values()]);
    },
    event(type, quota) {
      if (type === 'DELETED') quotas.delete(quotaName(quota));
      else quotas.set(quotaName(quota), quota);
      allocator.quotasChanged([...quotas.values()]);
    },
    failed: watchFailed('resource quotas'),
  }, log);

  // The executor pods: watched once the bridge has said which application they belong to.
  let executorWatch: ListWatch | undefined;
  let watchedAppId: string | undefined;
  const watchExecutors = (appId: string) => {
    if (watchedAppId === appId) return;
    executorWatch?.stop();
    watchedAppId = appId;
    executorWatch = new ListWatch(rest, kubeConfig, `/api/v1/namespaces/${ns}/pods`, { labelSelector: `${SPARK_LABELS.appId}=${appId},${SPARK_LABELS.role}=executor` }, {
      listed: (items, startedAt) => allocator.podsListed(items, startedAt),
      event: (type, pod) => allocator.podEvent(type, pod),
      failed: watchFailed('executor pods'),
    }, log);
    executorWatch.start();
  };

  const bridgeServer = http.createServer((req, res) => {
    void handleBridge(req, res, async (path, body) => {
      if (path === '/v1/hello') {
        const hello = body as BridgeHello;
        allocator.hello(hello);
        watchExecutors(hello.appId);
        return { protocol: hello.protocol };
      }
      if (path === '/v1/sync') {
        lastSyncAt = Date.now();
        return allocator.sync(body as BridgeSync);
      }
      if (path === '/v1/stop') {
        allocator.stop();
        return {};
      }
      return undefined;
    }, log);
  });
  const metricsServer = http.createServer((req, res) => {
    void serveHealthAndMetrics(req, res, { healthy: () => true, notReadyBecause: () => (apiReachable ? undefined : 'the API server has not answered yet'), metrics });
  });
  await listen(bridgeServer, config.bridgePort, '127.0.0.1');
  await listen(metricsServer, config.metricsPort, config.metricsHost);
  driverWatch.start();
  quotaWatch.start();
  const bridgePort = (bridgeServer.address() as AddressInfo).port;
  const metricsPort = (metricsServer.address() as AddressInfo).port;
  log.info('allocator started', { ...publicSettings(config), bridgePort, metricsPort });
  return {
    bridgePort,
    metricsPort,
    async close() {
      allocator.close();
      for (const watch of [driverWatch, quotaWatch, executorWatch]) watch?.stop();
      bridgeServer.closeAllConnections?.();
      metricsServer.closeAllConnections?.();
      await Promise.all([bridgeServer, metricsServer].map((server) => new Promise((resolve) => server.close(resolve))));
      rest.close();
    },
  };
}

function publicSettings(config: AllocatorConfig): Record<string, unknown> {
  const { namespace, driverPodName, batchSize, batchDelayMs, maxExecutors, maxPendingPods, pendingDeadlineMs, pendingTimeoutMs, failedPodGraceMs } = config;
  return { namespace, driverPodName, batchSize, batchDelayMs, maxExecutors, maxPendingPods, pendingDeadlineMs, pendingTimeoutMs, failedPodGraceMs };
}

async function handleBridge(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  route: (path: string, body: unknown) => Promise<unknown>,
  log: Logger,
): Promise<void> {
  const reply = (status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  try {
    if (req.method !== 'POST') return reply(405, { message: 'the bridge API takes POST only' });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) return reply(413, { message: `request body over ${MAX_BODY_BYTES} bytes` });
      chunks.push(chunk as Buffer);
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as unknown;
    const result = await route(req.url ?? '', body);
    if (result === undefined) return reply(404, { message: `no route ${req.url}` });
    reply(200, result);
  } catch (error) {
    const status = error instanceof KubeApiError ? error.status : error instanceof SyntaxError ? 400 : 500;
    if (status === 500) log.error('bridge request failed', { path: req.url, message: error instanceof Error ? error.message : String(error) });
    reply(status, { message: error instanceof Error ? error.message : String(error) });
  }
}

