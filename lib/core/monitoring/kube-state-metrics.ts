// What two alerting rules read from kube-state-metrics: whether a driver Job has failed for good, and
// whether Zeppelin's server has a ready replica. Neither is visible in the pods' own metrics (a failed
// driver is gone; an unready server may still answer). Checked against kube-state-metrics v2.18.0
// run on the real control plane (test/integration/prometheus-server.test.ts).
import { APPLICATION_LABEL } from '../spark-application/naming';

/** The kube-state-metrics series the library uses. */
export const KUBE_STATE_METRICS = {
  jobFailed: 'kube_job_failed',
  jobLabels: 'kube_job_labels',
  deploymentAvailableReplicas: 'kube_deployment_status_replicas_available',
  deploymentLabels: 'kube_deployment_labels',
} as const;

/**
 * What kube-state-metrics must be run with for those rules: the object labels they join on are
 * exported only when allowed (`--metric-labels-allowlist`). kube-prometheus-stack takes the same list
 * as `kube-state-metrics.metricLabelsAllowlist`.
 */
export const KUBE_STATE_METRICS_LABELS_ALLOWLIST = `jobs=[${APPLICATION_LABEL},app.kubernetes.io/component],deployments=[app.kubernetes.io/name]`;

/** kube-state-metrics' name for an allowed object label, e.g. label_sparkplane_io_application. */
export function kubeStateMetricsLabel(name: string): string {
  return `label_${name.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}
