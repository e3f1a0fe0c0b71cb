// The staging server as a program (`sparkplane staging-server`, the StagingServer's Deployment): the
// data API on its port, /healthz, /readyz and /metrics on another, the tokens from the Secret (or
// files) read every minute, and a sweep of unused blobs. The parts live in their own files; this one wires.
import * as http from 'http';
import type { AddressInfo } from 'net';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { KubeApiError } from '../allocator/executor-allocator';
import { KubeRest } from '../allocator/kube-client';
import { jsonLogger, type Logger } from '../allocator/logger';
import { listen, serveHealthAndMetrics } from '../program/http';
import { BlobStore, checkStorage } from './blob-store';
import { stagingServerConfigFromEnv, type StagingServerConfig } from './config';
import { StagingMetrics } from './metrics';
import { createStagingDataServer } from './server';
import { RefreshingTokenSource, tokensFromFiles, tokensFromSecret, type StagingTokens, type TokenSecretApi } from './tokens';

/** A running staging server. */
export interface RunningStagingServer {
  /** The bound data API port. */
  readonly port: number;
  /** The bound health and metrics port. */
  readonly metricsPort: number;
  /** Stops serving (uploads in progress are cut and their temporary files deleted). */
  close(): Promise<void>;
}

/** How often readiness (storage writable, free space) is checked. */
const STORAGE_CHECK_INTERVAL_MS = 5000;

/** Starts the staging server with the settings in `env`. Throws EnvConfigError for bad settings. */
export async function runStagingServer(env: Readonly<Record<string, string | undefined>>): Promise<RunningStagingServer> {
  const config = stagingServerConfigFromEnv(env);
  const log = jsonLogger(config.logLevel, 'staging-server');
  const store = await BlobStore.openDirectory(config.storageDir);
  const metrics = new StagingMetrics(store);
  const { load, close: closeTokenClient } = tokenLoader(config, log);
  const tokens = new RefreshingTokenSource(load, config.tokenRefreshMs, (outcome) => {
    metrics.tokenRefreshes.inc({ result: outcome.ok ? 'ok' : 'error' });
    if (!outcome.ok) log.error('cannot read the tokens', { message: outcome.error.message });
    else if (outcome.changed) log.info('tokens read', { source: config.tokens.source });
  });
  await tokens.start();

  let storage: Awaited<ReturnType<typeof checkStorage>> = { ready: false, reason: 'not checked yet' };
  let checked = false;
  const checkStorageNow = async () => {
    const previous = storage.ready;
    storage = await checkStorage(store, config.minFreeBytes).catch((error: Error) => ({ ready: false, reason: error.message }));
    if (!checked || previous !== storage.ready) {
      if (storage.ready) log.info('storage ready', { freeBytes: storage.freeBytes });
      else log.warn('storage not ready', { reason: storage.reason });
    }
    checked = true;
  };
  await checkStorageNow();
  const storageTimer = setInterval(() => void checkStorageNow(), STORAGE_CHECK_INTERVAL_MS);

  let sweepTimer: NodeJS.Timeout | undefined;
  let closed = false;
  const sweep = async () => {
    try {
      const report = await store.sweep(config.ttlMs);
      metrics.evicted.inc(report.evicted);
      metrics.evictedBytes.inc(report.evictedBytes);
      if (report.evicted || report.temporaryFilesDeleted) log.info('storage swept', { ...report });
    } catch (error) {
      log.error('sweep failed', { message: error instanceof Error ? error.message : String(error) });
    } finally {
      if (!closed) sweepTimer = setTimeout(() => void sweep(), config.sweepIntervalMs);
    }
  };
  void sweep();

  const dataServer = createStagingDataServer({ store, tokens, maxUploadBytes: config.maxUploadBytes, metrics, log });
  const metricsServer = http.createServer((req, res) => void serveHealthAndMetrics(req, res, {
    healthy: () => true,
    notReadyBecause: () => (!storage.ready ? storage.reason : tokens.current() ? undefined : 'the tokens have not been read yet'),
    metrics,
  }));
  await listen(dataServer, config.port, config.host);
  await listen(metricsServer, config.metricsPort, config.host);
  const port = (dataServer.address() as AddressInfo).port;
  const metricsPort = (metricsServer.address() as AddressInfo).port;
  log.info('staging server started', { ...publicSettings(config), port, metricsPort, ...store.stats() });
  return {
    port,
    metricsPort,
    async close() {
      closed = true;
      if (sweepTimer) clearTimeout(sweepTimer);
      clearInterval(storageTimer);
      tokens.close();
      for (const server of [dataServer, metricsServer]) server.closeAllConnections?.();
      await Promise.all([dataServer, metricsServer].map((server) => new Promise((resolve) => server.close(resolve))));
      closeTokenClient();
    },
  };
}

/** Where the tokens are read from: the files, or the Secret through the API server. */
function tokenLoader(config: StagingServerConfig, log: Logger): { load: () => Promise<StagingTokens>; close(): void } {
  const source = config.tokens;
  if (source.source === 'files') return { load: tokensFromFiles(source.uploadTokenFile, source.readTokenFile), close: () => {} };
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  const namespace = source.namespace ?? kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace;
  if (!namespace) throw new Error('no namespace for the tokens Secret: set SPARKPLANE_STAGING_NAMESPACE, or run in a pod (its service account\'s namespace) or with a kubeconfig context that names one');
  const rest = new KubeRest(mergePatching(kubeConfig));
  const secretPath = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(source.secretName)}`;
  const secret: TokenSecretApi = {
    description: `Secret ${namespace}/${source.secretName}`,
    async read() {
      try {
        const found = await rest.request('GET', secretPath);
        const metadata = found.metadata as { resourceVersion?: string } | undefined;
        return { data: (found.data ?? {}) as Record<string, string>, resourceVersion: metadata?.resourceVersion };
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 404) return undefined;
        throw error;
      }
    },
    async patch(data, resourceVersion) {
      try {
        await rest.request('PATCH', secretPath, { metadata: resourceVersion ? { resourceVersion } : {}, data });
        return 'patched';
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 409) return 'conflict';
        throw error;
      }
    },
  };
  return {
    load: tokensFromSecret(secret, (keys) => log.info('generated missing tokens into the Secret', { secret: secret.description, keys })),
    close: () => rest.close(),
  };
}

/**
 * KubeRest sends every body as application/json, which the API server refuses for PATCH: this view
 * of the kubeconfig marks PATCH requests as JSON merge patches when their credentials are applied.
 */
function mergePatching(kubeConfig: KubeConfig): KubeConfig {
  return Object.assign(Object.create(kubeConfig) as KubeConfig, {
    async applyToHTTPSOptions(options: { method?: string; headers?: Record<string, unknown> }) {
      await kubeConfig.applyToHTTPSOptions(options as Parameters<KubeConfig['applyToHTTPSOptions']>[0]);
      if (options.method === 'PATCH') options.headers = { ...options.headers, 'Content-Type': 'application/merge-patch+json' };
    },
  });
}

function publicSettings(config: StagingServerConfig): Record<string, unknown> {
  const { storageDir, host, maxUploadBytes, ttlMs, sweepIntervalMs, minFreeBytes, tokenRefreshMs } = config;
  const tokens = config.tokens.source === 'secret' ? { tokensSecret: config.tokens.secretName } : { uploadTokenFile: config.tokens.uploadTokenFile, readTokenFile: config.tokens.readTokenFile };
  return { storageDir, host, maxUploadBytes, ttlMs, sweepIntervalMs, minFreeBytes, tokenRefreshMs, ...tokens };
}
