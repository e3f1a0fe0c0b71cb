// The pushing sidecar's settings, read from its environment (rendered by `monitoring.pushgateway`).
// Every bad value is reported at once, with the variable, the value and the fix.
import { EnvConfigError } from '../allocator/config';
import { sparkDurationMs } from '../core/quantity';

/** The pushing sidecar's settings. */
export interface MetricsPushConfig {
  /** The Pushgateway's base URL, without a trailing slash. */
  readonly url: string;
  /** Time between two pushes, ms. */
  readonly intervalMs: number;
  /** Namespace of the driver pod: a label of the Pushgateway group. */
  readonly namespace: string;
  /** The driver pod's name: the `pod` label of every sample. */
  readonly pod: string;
  /** The application's name: a label of the Pushgateway group. */
  readonly application: string;
  /** Where the driver's endpoints are, e.g. "http://127.0.0.1:4040". */
  readonly sparkUi: string;
  /** The folder of Spark's final report (the CsvSink's directory). */
  readonly finalReportDir: string;
}

/** The settings in `env`; throws one EnvConfigError naming every bad value. */
export function metricsPushConfigFromEnv(env: Readonly<Record<string, string | undefined>>): MetricsPushConfig {
  const problems: string[] = [];
  const text = (variable: string, example: string): string => {
    const value = env[variable]?.trim() ?? '';
    if (value === '') problems.push(`${variable} is not set: set it, e.g. ${JSON.stringify(example)} (the library renders it)`);
    return value;
  };
  const url = text('SPARKPLANE_PUSH_URL', 'http://prometheus-pushgateway.monitoring.svc:9091').replace(/\/+$/, '');
  if (url && !/^https?:\/\/[^/?#@]+(\/[^?#]*)?$/.test(url)) problems.push(`SPARKPLANE_PUSH_URL=${JSON.stringify(url)} is not an http(s) URL without query or credentials: set it to the Pushgateway's, e.g. "http://prometheus-pushgateway.monitoring.svc:9091"`);
  const interval = env.SPARKPLANE_PUSH_INTERVAL?.trim() || '5s';
  const intervalMs = sparkDurationMs(interval);
  if (intervalMs === undefined || intervalMs < 1000) problems.push(`SPARKPLANE_PUSH_INTERVAL=${JSON.stringify(interval)} is not a duration of at least 1 s: use e.g. "5s"`);
  const port = env.SPARKPLANE_PUSH_SPARK_UI_PORT?.trim() || '4040';
  if (!/^[0-9]+$/.test(port) || Number(port) < 1 || Number(port) > 65535) problems.push(`SPARKPLANE_PUSH_SPARK_UI_PORT=${JSON.stringify(port)} is not a port number: set it to the driver's spark.ui.port, e.g. 4040`);
  const config: MetricsPushConfig = {
    url,
    intervalMs: intervalMs ?? 5000,
    namespace: text('SPARKPLANE_NAMESPACE', 'spark-jobs'),
    pod: text('SPARKPLANE_DRIVER_POD_NAME', 'etl-driver-x7k2p'),
    application: text('SPARKPLANE_PUSH_APPLICATION', 'etl'),
    sparkUi: `http://127.0.0.1:${port}`,
    finalReportDir: text('SPARKPLANE_PUSH_FINAL_REPORT_DIR', '/var/run/sparkplane/final-metrics'),
  };
  if (problems.length) throw new EnvConfigError('metrics-push', problems);
  return config;
}
