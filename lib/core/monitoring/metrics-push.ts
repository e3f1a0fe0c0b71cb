// The push mode of `monitoring`, for batch jobs that may end between two scrapes. Spark has no
// Pushgateway sink, and its endpoint goes away at `spark.stop()`, so a native sidecar in the driver
// pod (`sparkplane metrics-push`) does the pushing:
// - every interval it reads the driver's two endpoints on loopback and PUTs each body, labelled with
//   the pod and role, to the Pushgateway group of the application (job, namespace, application), so a
//   run replaces the previous run's series instead of piling up groups;
// - for the final figures it uses Spark's own last report: SparkContext.stop() calls
//   MetricsSystem.report() after the listener bus has drained, so a CsvSink with a period too long
//   to ever fire writes exactly once, with the final values, into an emptyDir the sidecar shares;
// - when the driver container has ended, the kubelet stops the sidecar, which pushes those final
//   figures (and the executors' last ones) before it exits.
import { compact } from '../compact';
import type { KubeContainer, KubeEnvVar, KubeVolumeMount } from '../kube-objects';
import { containerSecurityContext } from '../pod-security';
import { SPARKPLANE_IMAGE_UID } from '../allocator/allocator-sidecar';

/** Pushing an application's metrics to a Pushgateway. */
export interface SparkMetricsPushSpec {
  /** URL of the Pushgateway, e.g. "http://prometheus-pushgateway.monitoring.svc:9091" (the `Prometheus` component's). */
  readonly url: string;
  /** The sparkplane image, which holds the pushing sidecar (images/README.md). */
  readonly image: string;
  /** Pull policy of the sparkplane image. @default "IfNotPresent" */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** How often the sidecar reads the driver's endpoints and pushes, a duration such as "5s". @default "5s" */
  readonly interval?: string;
}

/** Name of the sidecar in the driver pod. */
export const METRICS_PUSH_CONTAINER_NAME = 'metrics-push';
/** The emptyDir where Spark's CsvSink writes its final report for the sidecar. */
export const FINAL_REPORT_VOLUME_NAME = 'sparkplane-final-metrics';
/** Where both containers mount it. */
export const FINAL_REPORT_DIR = '/var/run/sparkplane/final-metrics';
/** The Pushgateway jobs of the two bodies: the same as the scrape jobs, so rules and dashboards select either. */
export const PUSH_JOBS = { driver: 'spark-driver', executors: 'spark-executors' } as const;

/** Spark properties of the final report: a driver-only CsvSink that only `spark.stop()` makes write. */
export function finalReportSparkProperties(): Record<string, string> {
  return {
    'spark.metrics.conf.driver.sink.csv.class': 'org.apache.spark.metrics.sink.CsvSink',
    'spark.metrics.conf.driver.sink.csv.directory': FINAL_REPORT_DIR,
    // 3650 days: the scheduled report never comes; the one at stop() does.
    'spark.metrics.conf.driver.sink.csv.period': '3650',
    'spark.metrics.conf.driver.sink.csv.unit': 'days',
  };
}

/** The pushing sidecar (a native sidecar: started before the driver, stopped after it). */
export function metricsPushContainer(push: SparkMetricsPushSpec, application: string, uiPort: number): KubeContainer {
  const env: KubeEnvVar[] = [
    { name: 'SPARKPLANE_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    { name: 'SPARKPLANE_DRIVER_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'SPARKPLANE_PUSH_APPLICATION', value: application },
    { name: 'SPARKPLANE_PUSH_URL', value: push.url },
    { name: 'SPARKPLANE_PUSH_INTERVAL', value: push.interval ?? '5s' },
    { name: 'SPARKPLANE_PUSH_SPARK_UI_PORT', value: String(uiPort) },
    { name: 'SPARKPLANE_PUSH_FINAL_REPORT_DIR', value: FINAL_REPORT_DIR },
  ];
  return compact({
    name: METRICS_PUSH_CONTAINER_NAME,
    image: push.image,
    imagePullPolicy: push.imagePullPolicy ?? 'IfNotPresent',
    restartPolicy: 'Always',
    args: ['metrics-push'],
    env,
    resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '128Mi' } },
    securityContext: containerSecurityContext({}, SPARKPLANE_IMAGE_UID),
    volumeMounts: [{ name: FINAL_REPORT_VOLUME_NAME, mountPath: FINAL_REPORT_DIR, readOnly: true }],
  }) as KubeContainer;
}

/** The driver container's mount of the final report's folder. */
export function finalReportDriverMount(): KubeVolumeMount {
  return { name: FINAL_REPORT_VOLUME_NAME, mountPath: FINAL_REPORT_DIR };
}

/** The emptyDir of the final report (a few hundred small files). */
export function finalReportVolume(): Record<string, unknown> {
  return { name: FINAL_REPORT_VOLUME_NAME, emptyDir: { sizeLimit: '16Mi' } };
}
