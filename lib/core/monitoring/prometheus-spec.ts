// The Prometheus component: a Prometheus server for clusters without the Prometheus Operator, which
// finds what sparkplane renders through Kubernetes pod discovery in the namespaces it is given.
import type { KubeToleration } from '../kube-objects';
import type { StagingNetworkPeer } from '../staging/spec';

/** A Prometheus server scraping sparkplane's Spark applications and programs. */
export interface PrometheusSpec {
  /** Name of its objects. @default "prometheus" */
  readonly name?: string;
  /** Namespace of the server. @default "monitoring" */
  readonly namespace?: string;
  /**
   * Namespaces whose pods it discovers and scrapes: each gets a Role that lets the server list and
   * watch pods there, nothing else. "*" discovers every namespace, with a ClusterRole.
   */
  readonly targetNamespaces: readonly string[] | '*';
  /** Prometheus image. @default "prom/prometheus:v3.16.0" */
  readonly image?: string;
  /** Pull policy of the images. @default "IfNotPresent" */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** How often targets are scraped, a Prometheus duration. @default "15s" */
  readonly scrapeInterval?: string;
  /** How long samples are kept, a Prometheus duration. @default "15d" */
  readonly retention?: string;
  /** Most bytes the samples may take on the claim, e.g. "8GB" (Prometheus' units). @default - no size limit: keep it below storageSize */
  readonly retentionSize?: string;
  /** Size of the PersistentVolumeClaim for the samples, a Kubernetes quantity. @default "20Gi" */
  readonly storageSize?: string;
  /** Storage class of the claim. @default - the cluster's default class */
  readonly storageClassName?: string;
  /** Who may query the server's port 9090 (e.g. Grafana's pods), besides its own namespace's pods. @default - its own namespace's pods only */
  readonly queryPeers?: readonly StagingNetworkPeer[];
  /**
   * A Pushgateway, for short batch jobs that may end between scrapes; the server scrapes it with
   * honor_labels. Driver pods of the target namespaces may push to it.
   * @default - none
   */
  readonly pushgateway?: {
    /** Pushgateway image. @default "prom/pushgateway:v1.11.3" */
    readonly image?: string;
  };
  /**
   * Address (host:port) of a kube-state-metrics the server scrapes, for the alerts on a driver Job
   * that failed for good and on Zeppelin being down. Run it with
   * `--metric-labels-allowlist=<KUBE_STATE_METRICS_LABELS_ALLOWLIST>` (docs/monitoring.md).
   * @default - not scraped: those two alerts never fire
   */
  readonly kubeStateMetrics?: string;
  /** CPU request of the server. @default "250m" */
  readonly cpuRequest?: string;
  /** Memory request and limit of the server. @default "2Gi" */
  readonly memory?: string;
  /** Nodes the server may run on. @default - any node */
  readonly nodeSelector?: Record<string, string>;
  /** Tolerations of the server's pod. @default - none */
  readonly tolerations?: readonly KubeToleration[];
  /** Names of Secrets used to pull the images. @default - none */
  readonly imagePullSecrets?: readonly string[];
  /** Labels added to every rendered object. @default - none */
  readonly labels?: Record<string, string>;
}
