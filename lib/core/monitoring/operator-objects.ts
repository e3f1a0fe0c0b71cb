// The same scraping and alerting for clusters that run the Prometheus Operator (kube-prometheus-stack):
// PodMonitors that select what sparkplane renders as the scrape configurations do, a
// PrometheusRule with the library's alerting rules, and the Grafana dashboard. The operator's Prometheus picks them up by the
// labels its podMonitorSelector and ruleSelector name (kube-prometheus-stack: `release: <its release>`).
import type { KubeObject } from '../kube-objects';
import { APPLICATION_LABEL, SPARK_ROLE_LABEL } from '../spark-application/naming';
import { sparkplaneAlertRules } from './alert-rules';
import { podMetaLabel } from './scrape-configs';
import { grafanaDashboardConfigMap } from './grafana-dashboard';
import { EXECUTOR_METRICS_PATH_ANNOTATION, SPARK_DRIVER_METRICS_PATH, SPARK_EXECUTOR_METRICS_PATH } from './spark-metrics';

/** Where the PodMonitors and the PrometheusRule go, and what they select. */
export interface PrometheusOperatorMonitoringSpec {
  /** Namespace of the PodMonitors and the PrometheusRule (the operator's Prometheus must watch it). @default "monitoring" */
  readonly namespace?: string;
  /** Namespaces whose pods are scraped, or "*" for all. */
  readonly targetNamespaces: readonly string[] | '*';
  /** Labels the operator's Prometheus selects monitors and rules by, e.g. { release: "kube-prometheus-stack" }. @default - none */
  readonly labels?: Record<string, string>;
  /** How often targets are scraped, a Prometheus duration. @default - the Prometheus' own interval */
  readonly scrapeInterval?: string;
}

const annotation = (name: string) => podMetaLabel('annotation', name);
const label = (name: string) => podMetaLabel('label', name);

/** The job label the scrape configurations give, so that the alerting rules select the same series. */
const job = (name: string) => ({ targetLabel: 'job', replacement: name });

/** The PodMonitors and the PrometheusRule. */
export function renderPrometheusOperatorObjects(spec: PrometheusOperatorMonitoringSpec): KubeObject[] {
  const namespace = spec.namespace ?? 'monitoring';
  const metadata = (name: string) => ({ name, namespace, labels: { ...spec.labels, 'app.kubernetes.io/managed-by': 'sparkplane' } });
  const namespaceSelector = spec.targetNamespaces === '*' ? { any: true } : { matchNames: [...spec.targetNamespaces] };
  const interval = spec.scrapeInterval ? { interval: spec.scrapeInterval } : {};
  const sparkLabels = [
    { sourceLabels: [label(APPLICATION_LABEL)], targetLabel: 'spark_application' },
    { sourceLabels: [label(SPARK_ROLE_LABEL)], targetLabel: 'spark_role' },
  ];
  // Only drivers whose application turned monitoring on serve the paths.
  const monitoredOnly = { sourceLabels: [annotation('prometheus.io/scrape')], regex: 'true', action: 'keep' };
  return [
    {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PodMonitor',
      metadata: metadata('sparkplane-spark-drivers'),
      spec: {
        namespaceSelector,
        selector: { matchLabels: { [SPARK_ROLE_LABEL]: 'driver' }, matchExpressions: [{ key: APPLICATION_LABEL, operator: 'Exists' }] },
        podMetricsEndpoints: [
          { port: 'spark-ui', path: SPARK_DRIVER_METRICS_PATH, ...interval, relabelings: [monitoredOnly, ...sparkLabels, job('spark-driver')] },
          {
            port: 'spark-ui', path: SPARK_EXECUTOR_METRICS_PATH, ...interval,
            relabelings: [monitoredOnly, { sourceLabels: [annotation(EXECUTOR_METRICS_PATH_ANNOTATION)], regex: '.+', action: 'keep' }, ...sparkLabels, job('spark-executors')],
          },
        ],
      },
    },
    {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PodMonitor',
      metadata: metadata('sparkplane-programs'),
      spec: {
        namespaceSelector,
        selector: { matchLabels: { 'app.kubernetes.io/managed-by': 'sparkplane' } },
        podMetricsEndpoints: ['metrics', 'alloc-metrics'].map((port) => ({
          port, path: '/metrics', ...interval,
          relabelings: [
            { sourceLabels: ['__meta_kubernetes_pod_container_name'], targetLabel: 'container' },
            { sourceLabels: [label('app.kubernetes.io/name')], targetLabel: 'component' },
            ...sparkLabels,
            job('sparkplane'),
          ],
        })),
      },
    },
    { apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: metadata('sparkplane-alerts'), spec: { groups: sparkplaneAlertRules() } },
    // kube-prometheus-stack's Grafana loads dashboards from ConfigMaps with this label.
    grafanaDashboardConfigMap(namespace, spec.labels),
  ];
}
