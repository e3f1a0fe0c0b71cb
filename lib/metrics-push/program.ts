// The pushing sidecar as a program (`sparkplane metrics-push`, a native sidecar of a driver pod whose
// application sets `monitoring.pushgateway`): every interval it reads the driver's two endpoints on
// loopback and PUTs them to the application's Pushgateway groups; when the kubelet stops it (the
// driver container has ended), it pushes Spark's final report and exits.
import { jsonLogger } from '../allocator/logger';
import { SPARK_DRIVER_METRICS_PATH, SPARK_EXECUTOR_METRICS_PATH } from '../core/monitoring/spark-metrics';
import { PUSH_JOBS } from '../core/monitoring/metrics-push';
import { metricsPushConfigFromEnv, type MetricsPushConfig } from './config';
import { sampleLines, withLabels } from './exposition';
import { readFinalReport } from './final-report';

/** A running sidecar. */
export interface RunningMetricsPush {
  /** Pushes the final figures, then stops. */
  close(): Promise<void>;
}

type Body = keyof typeof PUSH_JOBS;
const PATHS: Record<Body, string> = { driver: SPARK_DRIVER_METRICS_PATH, executors: SPARK_EXECUTOR_METRICS_PATH };

/** One segment pair of a Pushgateway group path; values that are not plain go base64url-encoded. */
function groupSegment(label: string, value: string): string {
  return /^[A-Za-z0-9._~-]+$/.test(value) ? `${label}/${value}` : `${label}@base64/${Buffer.from(value).toString('base64url') || '='}`;
}

/** The Pushgateway URL of a body's group: one group per application, replaced by each run. */
export function pushGroupUrl(config: Pick<MetricsPushConfig, 'url' | 'namespace' | 'application'>, body: Body): string {
  return `${config.url}/metrics/${groupSegment('job', PUSH_JOBS[body])}/${groupSegment('namespace', config.namespace)}/${groupSegment('spark_application', config.application)}`;
}

/** Starts the sidecar with the settings in `env`. */
export async function runMetricsPush(env: Readonly<Record<string, string | undefined>>): Promise<RunningMetricsPush> {
  const config = metricsPushConfigFromEnv(env);
  const log = jsonLogger('info', 'metrics-push');
  // The labels a scrape of the driver pod gets from discovery (both bodies come from the driver pod).
  const labels = { pod: config.pod, spark_role: 'driver' };
  const last: Partial<Record<Body, string[]>> = {};
  const failing = new Set<string>();
  const note = (what: string, error: unknown) => {
    if (!failing.has(what)) log.warn(`${what} failed; retrying every interval`, { message: error instanceof Error ? error.message : String(error) });
    failing.add(what);
  };
  const recovered = (what: string) => {
    if (failing.delete(what)) log.info(`${what} works again`);
  };

  const read = async (body: Body, timeoutMs: number): Promise<string[] | undefined> => {
    try {
      const response = await fetch(`${config.sparkUi}${PATHS[body]}`, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
      const samples = response.ok ? sampleLines(await response.text()) : undefined;
      if (samples) last[body] = samples;
      return samples;
    } catch {
      // The driver is starting or has stopped: nothing to read, nothing to report.
      return undefined;
    }
  };
  const push = async (body: Body, samples: readonly string[], timeoutMs: number): Promise<boolean> => {
    const what = `pushing the ${body} metrics`;
    try {
      const response = await fetch(pushGroupUrl(config, body), {
        method: 'PUT',
        headers: { 'Content-Type': 'text/plain; version=0.0.4' },
        body: withLabels(samples, labels),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) throw new Error(`${response.status} ${(await response.text()).trim().slice(0, 300)}`);
      recovered(what);
      return true;
    } catch (error) {
      note(what, error);
      return false;
    }
  };

  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let running: Promise<void> = Promise.resolve();
  const tick = async () => {
    for (const body of ['driver', 'executors'] as const) {
      const samples = await read(body, config.intervalMs);
      if (samples && !closed) await push(body, samples, config.intervalMs);
    }
  };
  const loop = () => {
    running = tick().finally(() => {
      if (!closed) timer = setTimeout(loop, config.intervalMs);
    });
  };
  log.info('metrics-push started', { url: config.url, intervalMs: config.intervalMs, namespace: config.namespace, application: config.application });
  loop();

  return {
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await running;
      // Spark wrote its final report at stop(); without one (the driver died), the last figures read.
      const report = readFinalReport(config.finalReportDir);
      const executors = (await read('executors', 1000)) ?? last.executors;
      const driver = report.length ? report : (await read('driver', 1000)) ?? last.driver;
      const pushed = {
        driver: driver ? await push('driver', driver, 10_000) : false,
        executors: executors ? await push('executors', executors, 10_000) : false,
      };
      log.info('final push', { driverSource: report.length ? 'final report' : driver ? 'last read' : 'none', driverSamples: driver?.length ?? 0, executorSamples: executors?.length ?? 0, pushed });
    },
  };
}
