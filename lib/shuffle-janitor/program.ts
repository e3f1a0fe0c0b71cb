// The shuffle janitor as a program (`sparkplane shuffle-janitor`, a container of the shuffle service's
// DaemonSet pod): every interval it sweeps the node's apps root with ShuffleJanitor, asking the API
// server about each application's driver pod, and serves /healthz, /readyz and /metrics, where it
// also relays the shuffle service's StatsD metrics.
import * as http from 'http';
import type { AddressInfo } from 'net';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { KubeApiError } from '../allocator/executor-allocator';
import { KubeRest } from '../allocator/kube-client';
import { jsonLogger } from '../allocator/logger';
import { serveHealthAndMetrics } from '../program/http';
import { janitorConfigFromEnv } from './config';
import { ShuffleJanitor, type DriverLookup } from './janitor';
import { StatsdRelay } from './statsd-relay';

/** A running janitor. */
export interface RunningJanitor {
  readonly metricsPort: number;
  /** The UDP port (127.0.0.1) of the StatsD relay. */
  readonly statsdPort: number;
  close(): Promise<void>;
}

/** Starts the janitor with the settings in `env`. */
export async function runShuffleJanitor(env: Readonly<Record<string, string | undefined>>): Promise<RunningJanitor> {
  const config = janitorConfigFromEnv(env);
  const log = jsonLogger('info', 'shuffle-janitor');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  const registry = new Registry();
  const requests = new Counter({ name: 'sparkplane_shuffle_janitor_api_requests_total', help: 'Driver pod lookups', labelNames: ['result'], registers: [registry] });
  const deleted = new Counter({ name: 'sparkplane_shuffle_janitor_deleted_total', help: 'Application directories deleted', registers: [registry] });
  const apps = new Gauge({ name: 'sparkplane_shuffle_janitor_applications', help: 'Application directories by the last sweep\'s verdict', labelNames: ['verdict'], registers: [registry] });
  const sweepSeconds = new Histogram({ name: 'sparkplane_shuffle_janitor_sweep_duration_seconds', help: 'Time of one sweep', buckets: [0.01, 0.1, 1, 10, 60], registers: [registry] });
  const rest = new KubeRest(kubeConfig);
  const lookup = async (namespace: string, pod: string): Promise<DriverLookup> => {
    try {
      const found = await rest.request('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}`);
      requests.inc({ result: '200' });
      const meta = found.metadata as { uid: string };
      return { status: 200, uid: meta.uid, phase: String((found.status as { phase?: string } | undefined)?.phase ?? 'Pending') };
    } catch (error) {
      const status = error instanceof KubeApiError ? error.status : 'network';
      requests.inc({ result: String(status) });
      return status === 404 ? { status: 404 } : { status: 'error', detail: error instanceof Error ? error.message : String(error) };
    }
  };
  const janitor = new ShuffleJanitor(config.appsDir, lookup, config.graceMs);
  let swept = false;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const sweep = async () => {
    const end = sweepSeconds.startTimer();
    try {
      const report = await janitor.sweep();
      for (const dir of report.deleted) log.info('deleted the shuffle files of an ended application', { directory: dir });
      deleted.inc(report.deleted.length);
      apps.set({ verdict: 'alive' }, report.alive);
      apps.set({ verdict: 'waiting' }, report.waiting);
      apps.set({ verdict: 'unknown' }, report.unknown);
      swept = true;
    } catch (error) {
      log.error('sweep failed', { message: error instanceof Error ? error.message : String(error) });
    } finally {
      end();
      if (!closed) timer = setTimeout(() => void sweep(), config.intervalMs);
    }
  };
  const relay = new StatsdRelay(registry, { nodeName: config.nodeName, onError: (error) => log.error('StatsD relay socket error', { message: error.message }) });
  const statsdPort = await relay.listen(config.statsdPort);
  const server = http.createServer((req, res) => void serveHealthAndMetrics(req, res, { healthy: () => true, notReadyBecause: () => (swept ? undefined : 'no sweep has finished yet'), metrics: { registry } }));
  await new Promise<void>((resolve) => server.listen(config.metricsPort, config.metricsHost, resolve));
  const metricsPort = (server.address() as AddressInfo).port;
  log.info('shuffle janitor started', { appsDir: config.appsDir, graceMs: config.graceMs, intervalMs: config.intervalMs, metricsPort, statsdPort });
  void sweep();
  return {
    metricsPort,
    statsdPort,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      server.closeAllConnections?.();
      await Promise.all([new Promise((resolve) => server.close(resolve)), relay.close()]);
      rest.close();
    },
  };
}
