// Prometheus scrape configurations for what sparkplane renders, found through Kubernetes service
// discovery of pods (role: pod) in the namespaces given:
// - spark-driver and spark-executors: driver pods annotated by `monitoring`, on the UI port, at the
//   two paths Spark serves (the driver's registry, and the executors' figures it aggregates);
// - sparkplane: the library's own programs, by container port name (`metrics` on the staging server
//   and the shuffle janitor, `alloc-metrics` on a driver's allocator sidecar), at /metrics.
// Every target gets the labels dashboards group by: namespace, pod, and for Spark the application
// and role, from the pod's labels.
import { APPLICATION_LABEL, SPARK_ROLE_LABEL } from '../spark-application/naming';
import { EXECUTOR_METRICS_PATH_ANNOTATION } from './spark-metrics';

/** One Prometheus scrape configuration, as prometheus.yml (and promtool) read it. */
export type ScrapeConfig = Record<string, unknown>;

/** Prometheus' name for a pod label or annotation in discovery meta labels. */
export function podMetaLabel(kind: 'label' | 'annotation', name: string): string {
  return `__meta_kubernetes_pod_${kind}_${name.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

/** Names of the container ports the library's programs serve /metrics on. */
export const SPARKPLANE_METRICS_PORT_NAMES = ['metrics', 'alloc-metrics'] as const;

function discovery(namespaces: readonly string[] | '*'): Record<string, unknown> {
  return namespaces === '*' ? { role: 'pod' } : { role: 'pod', namespaces: { names: [...namespaces] } };
}

/** Labels of every target: its namespace and pod; dropped targets of pods that have ended. */
const COMMON_RELABELING = [
  // A finished driver pod keeps its IP for a while; another pod may have it since.
  { source_labels: ['__meta_kubernetes_pod_phase'], regex: 'Pending|Succeeded|Failed', action: 'drop' },
  { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
  { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
];

/** The labels Spark's targets carry: the application and the role. */
const SPARK_LABELS = [
  { source_labels: [podMetaLabel('label', APPLICATION_LABEL)], target_label: 'spark_application' },
  { source_labels: [podMetaLabel('label', SPARK_ROLE_LABEL)], target_label: 'spark_role' },
];

/** A driver pod job at the path named by `pathFrom` (a meta label holding it). */
function sparkDriverJob(jobName: string, namespaces: readonly string[] | '*', pathFrom: string, scrapeInterval: string): ScrapeConfig {
  return {
    job_name: jobName,
    scrape_interval: scrapeInterval,
    kubernetes_sd_configs: [discovery(namespaces)],
    relabel_configs: [
      { source_labels: [podMetaLabel('label', SPARK_ROLE_LABEL)], regex: 'driver', action: 'keep' },
      { source_labels: [podMetaLabel('annotation', 'prometheus.io/scrape')], regex: 'true', action: 'keep' },
      { source_labels: [pathFrom], regex: '(.+)', action: 'keep' },
      // One target per pod (discovery yields one per container port): the UI port the annotation names.
      { source_labels: ['__meta_kubernetes_pod_ip', podMetaLabel('annotation', 'prometheus.io/port')], regex: '(.+);(\\d+)', replacement: '$1:$2', target_label: '__address__' },
      { source_labels: [pathFrom], target_label: '__metrics_path__' },
      ...COMMON_RELABELING,
      ...SPARK_LABELS,
    ],
  };
}

/** The scrape configurations for the given namespaces ("*" for all), scraped every `scrapeInterval`. */
export function sparkplaneScrapeConfigs(namespaces: readonly string[] | '*', scrapeInterval = '15s'): ScrapeConfig[] {
  return [
    sparkDriverJob('spark-driver', namespaces, podMetaLabel('annotation', 'prometheus.io/path'), scrapeInterval),
    sparkDriverJob('spark-executors', namespaces, podMetaLabel('annotation', EXECUTOR_METRICS_PATH_ANNOTATION), scrapeInterval),
    {
      job_name: 'sparkplane',
      scrape_interval: scrapeInterval,
      kubernetes_sd_configs: [discovery(namespaces)],
      relabel_configs: [
        { source_labels: [podMetaLabel('label', 'app.kubernetes.io/managed-by')], regex: 'sparkplane', action: 'keep' },
        { source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: SPARKPLANE_METRICS_PORT_NAMES.join('|'), action: 'keep' },
        { target_label: '__metrics_path__', replacement: '/metrics' },
        ...COMMON_RELABELING,
        { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
        { source_labels: [podMetaLabel('label', 'app.kubernetes.io/name')], target_label: 'component' },
        ...SPARK_LABELS,
      ],
    },
  ];
}
