// What the `monitoring` option adds to a Spark application: Spark's own Prometheus endpoints on the
// driver's UI port, with names that stay the same from run to run, and the annotations that say
// where to scrape them. Read in Spark 3.5.9 and 4.0.5, and run against both (docs/monitoring.md):
// - PrometheusServlet serves the driver's metric registry at `<path>/` (the bare path answers 302);
//   executors have no HTTP server, so their figures come from the driver's status store at
//   /metrics/executors/prometheus (spark.ui.prometheus.enabled: off by default in 3.5, on in 4.0);
// - a metric's name carries spark.metrics.namespace, which defaults to the application id (random on
//   Kubernetes): a constant keeps names stable, and the application comes from pod labels instead;
// - job, stage and task counters need the appStatus source, JVM memory and GC the jvm source.
import type { SparkMetricsPushSpec } from './metrics-push';

/** Whether and how an application exposes metrics to Prometheus. */
export interface SparkMonitoringSpec {
  /**
   * Serve Spark's metrics for Prometheus on the driver's UI port: the driver's registry at
   * `/metrics/prometheus/`, the executors' at `/metrics/executors/prometheus`, and annotate the driver
   * pod for scraping.
   * @default true
   */
  readonly prometheus?: boolean;
  /**
   * Push the metrics to a Pushgateway instead of being scraped, for batch jobs that may end between
   * two scrapes: a sidecar pushes every interval, and pushes Spark's final report when the driver
   * ends. The driver pod is then not annotated for scraping (the series would be counted twice).
   * @default - Prometheus scrapes the driver pod
   */
  readonly pushgateway?: SparkMetricsPushSpec;
}

/** The constant spark.metrics.namespace: driver metrics are named `metrics_spark_driver_…`. */
export const SPARK_METRICS_NAMESPACE = 'spark';
/** Where PrometheusServlet serves the driver's registry (with the slash: the bare path redirects). */
export const SPARK_DRIVER_METRICS_PATH = '/metrics/prometheus/';
/** Where the driver serves its executors' figures. */
export const SPARK_EXECUTOR_METRICS_PATH = '/metrics/executors/prometheus';
/** Pod annotation with the second path to scrape on a driver pod (the executors' figures). */
export const EXECUTOR_METRICS_PATH_ANNOTATION = 'sparkplane.io/metrics-executors-path';

/** Keys the option owns, with what they are for. */
export const MONITORING_OWNED_SPARK_KEYS: Readonly<Record<string, string>> = {
  'spark.metrics.namespace': 'constant, so that metric names stay the same across runs',
  'spark.ui.prometheus.enabled': 'the executors\' endpoint',
  'spark.metrics.appStatusSource.enabled': 'the job, stage and task counters',
};

/** The Spark properties of Prometheus monitoring. */
export function prometheusSparkProperties(): Record<string, string> {
  return {
    'spark.metrics.namespace': SPARK_METRICS_NAMESPACE,
    // The sink's name must be exactly prometheusServlet: MetricsSystem serves only that one over HTTP.
    'spark.metrics.conf.*.sink.prometheusServlet.class': 'org.apache.spark.metrics.sink.PrometheusServlet',
    'spark.metrics.conf.*.sink.prometheusServlet.path': SPARK_DRIVER_METRICS_PATH.replace(/\/$/, ''),
    'spark.metrics.conf.*.source.jvm.class': 'org.apache.spark.metrics.source.JvmSource',
    'spark.metrics.appStatusSource.enabled': 'true',
    'spark.ui.prometheus.enabled': 'true',
  };
}

/** Annotations of a driver pod whose UI serves the metrics: Prometheus' conventional ones, and the executors' path. */
export function driverMetricsAnnotations(uiPort: number): Record<string, string> {
  return {
    'prometheus.io/scrape': 'true',
    'prometheus.io/port': String(uiPort),
    'prometheus.io/path': SPARK_DRIVER_METRICS_PATH,
    [EXECUTOR_METRICS_PATH_ANNOTATION]: SPARK_EXECUTOR_METRICS_PATH,
  };
}

/** Whether a spec's monitoring pushes its metrics (then the pod is not annotated for scraping). */
export function metricsPushEnabled(monitoring: SparkMonitoringSpec | undefined): monitoring is SparkMonitoringSpec & { pushgateway: SparkMetricsPushSpec } {
  return prometheusEnabled(monitoring) && monitoring?.pushgateway !== undefined;
}

/** Whether a spec's monitoring turns the Prometheus endpoints on. */
export function prometheusEnabled(monitoring: SparkMonitoringSpec | undefined): boolean {
  return monitoring !== undefined && monitoring.prometheus !== false;
}
