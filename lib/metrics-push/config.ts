// The pushing sidecar's settings, read from its environment (rendered by `monitoring.pushgateway`).
// Every bad value is reported at once, with the variable, the value and the fix.
import { EnvSettings } from '../program/env-settings';

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
  const settings = new EnvSettings(env);
  const required = (variable: string, example: string): string => {
    const value = settings.text(variable);
    if (value === undefined) settings.problems.push(`${variable} is not set: set it, e.g. ${JSON.stringify(example)} (the library renders it)`);
    return value ?? '';
  };
  const url = required('SPARKPLANE_PUSH_URL', 'http://prometheus-pushgateway.monitoring.svc:9091').replace(/\/+$/, '');
  if (url && !/^https?:\/\/[^/?#@]+(\/[^?#]*)?$/.test(url)) settings.problems.push(`SPARKPLANE_PUSH_URL=${JSON.stringify(url)} is not an http(s) URL without query or credentials: set it to the Pushgateway's, e.g. "http://prometheus-pushgateway.monitoring.svc:9091"`);
  const intervalMs = settings.duration('SPARKPLANE_PUSH_INTERVAL', '5s', 1000);
  // The driver's spark.ui.port: never 0, which would mean "any" to Spark, not a port to read.
  const uiPort = settings.port('SPARKPLANE_PUSH_SPARK_UI_PORT', 4040, 1);
  const config: MetricsPushConfig = {
    url,
    intervalMs,
    namespace: required('SPARKPLANE_NAMESPACE', 'spark-jobs'),
    pod: required('SPARKPLANE_DRIVER_POD_NAME', 'etl-driver-x7k2p'),
    application: required('SPARKPLANE_PUSH_APPLICATION', 'etl'),
    sparkUi: `http://127.0.0.1:${uiPort}`,
    finalReportDir: required('SPARKPLANE_PUSH_FINAL_REPORT_DIR', '/var/run/sparkplane/final-metrics'),
  };
  settings.throwIfAny('metrics-push');
  return config;
}
