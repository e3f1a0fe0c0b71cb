// The external shuffle service: Spark's own ExternalShuffleService as a DaemonSet, one per node,
// serving the shuffle files that executors of opted-in applications write into a host directory
// (docs/shuffle-service-design.md). Executors can then be removed by dynamic allocation without
// losing the map output they wrote.
import type { KubeToleration } from '../kube-objects';

/**
 * What an application needs to know of an external shuffle service to use it. An
 * `ExternalShuffleServiceSpec` is one, so the service's own spec can be passed as is; an application
 * in another stack repeats the fields that differ from the defaults.
 */
export interface ShuffleServiceRef {
  /** Host directory of the service on every node; the executors write under `<hostPath>/apps`. @default "/var/lib/sparkplane/shuffle" */
  readonly hostPath?: string;
  /** Port of the service on every node (`spark.shuffle.service.port`). @default 7337 */
  readonly port?: number;
  /** Port of the janitor's /metrics on every node; executors must not use it. @default 7338 */
  readonly metricsPort?: number;
  /** Nodes the service runs on; the executors are held to them too. @default - every node */
  readonly nodeSelector?: Record<string, string>;
  /** Taints the service tolerates; every executor toleration must be one of them, or executors could land where no service runs. @default - none */
  readonly tolerations?: readonly KubeToleration[];
  /** Namespaces whose applications may use the service (the janitor may read their driver pods), or "*" for all. */
  readonly applicationNamespaces: readonly string[] | '*';
}

/** The janitor: the DaemonSet's container that removes ended applications' files from its node. */
export interface ShuffleJanitorSpec {
  /** Keep an application's files this long after its driver pod is gone or finished, a Spark duration. @default "600s" */
  readonly grace?: string;
  /** Time between two sweeps of the node's directory, a Spark duration. @default "60s" */
  readonly interval?: string;
  /** CPU request. @default "20m" */
  readonly cpuRequest?: string;
  /** Memory request and limit. @default "128Mi" */
  readonly memory?: string;
}

/** An external shuffle service: a DaemonSet in its own namespace, with its janitor and RBAC. */
export interface ExternalShuffleServiceSpec extends ShuffleServiceRef {
  /** Name of the DaemonSet; prefixes its other objects. @default "shuffle-service" */
  readonly name?: string;
  /** Namespace of the service's objects, at the Pod Security level "privileged" (host network and host directory). @default "sparkplane-shuffle" */
  readonly namespace?: string;
  /** Render the namespace, labelled for the "privileged" Pod Security level. @default true */
  readonly createNamespace?: boolean;
  /** Spark version of the service; use the newest line among the applications it serves. */
  readonly sparkVersion: string;
  /** Spark image of the service. @default - `apache/spark:<sparkVersion>` */
  readonly image?: string;
  /**
   * The sparkplane image, which holds the janitor. It is built by this project (images/README.md)
   * and pushed to your registry; there is no public default.
   */
  readonly janitorImage: string;
  /** Pull policy of both images. @default "IfNotPresent" */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** Names of Secrets (in the service's namespace) used to pull the images. @default - none */
  readonly imagePullSecrets?: readonly string[];
  /** UDP port on 127.0.0.1 where the janitor receives the service's StatsD metrics. @default 7339 */
  readonly statsdPort?: number;
  /** JVM heap of the service (`SPARK_DAEMON_MEMORY`), a Spark size; Netty's direct memory may use as much again. @default "512m" */
  readonly memory?: string;
  /** CPU request of the service. @default "200m" */
  readonly cpuRequest?: string;
  /** Priority class of the DaemonSet's pods; a node-critical class keeps the service from being preempted by executors. @default - the cluster default */
  readonly priorityClassName?: string;
  /** The janitor's settings. @default - a 600 s grace, a sweep every 60 s */
  readonly janitor?: ShuffleJanitorSpec;
  /** Spark configuration of the service (e.g. `spark.shuffle.io.serverThreads`); every key is checked against `sparkVersion`. @default - none */
  readonly sparkConf?: Record<string, string>;
  /** Labels added to every rendered object. @default - none */
  readonly labels?: Record<string, string>;
}
