// The SparkApplication spec: everything a user states about one Spark application. Both front ends
// take these props (with their own handles added) and hand them to the core unchanged.
import type { KubeAffinity, KubeContainer, KubeSecurityContext, KubeToleration, KubeVolume, KubeVolumeMount } from '../kube-objects';
import type { AllocatorSpec } from '../allocator/allocator-spec';
import type { PodSecurityLevel } from '../pod-security';
import type { ShuffleServiceRef } from '../shuffle-service/spec';
import type { StagingServerRef } from '../staging/spec';
import type { SparkMonitoringSpec } from '../monitoring/spark-metrics';

/** The language of the application's main resource. */
export type SparkApplicationType = 'Java' | 'Scala' | 'Python' | 'R';

/** When the image is pulled. */
export type ImagePullPolicy = 'Always' | 'IfNotPresent' | 'Never';

/** An environment variable filled from one key of a Secret. */
export interface SecretKeyReference {
  /** Name of the Secret, in the application's namespace. */
  readonly secretName: string;
  /** Key in the Secret. */
  readonly key: string;
}

/** What the driver and the executors have in common: resources and pod customisation. */
export interface SparkPodSpec {
  /** Spark cores (`spark.driver.cores` / `spark.executor.cores`). @default 1 */
  readonly cores?: number;
  /** CPU request of the pod, a Kubernetes quantity; lets cores be over-committed. @default - the cores */
  readonly coreRequest?: string;
  /** CPU limit of the pod, a Kubernetes quantity. @default - no CPU limit */
  readonly coreLimit?: string;
  /** JVM heap, a Spark size (`spark.driver.memory` / `spark.executor.memory`). @default "1g" */
  readonly memory?: string;
  /** Off-heap memory added to the pod's memory, a Spark size. @default - Spark's rule: max(10% of memory, 384m); 40% for Python and R */
  readonly memoryOverhead?: string;
  /** Ephemeral storage request and limit of the Spark container, a Kubernetes quantity. @default - none */
  readonly ephemeralStorage?: string;
  /** Labels added to the pods. @default - none */
  readonly labels?: Record<string, string>;
  /** Annotations added to the pods. @default - none */
  readonly annotations?: Record<string, string>;
  /** Node selector. @default - none */
  readonly nodeSelector?: Record<string, string>;
  /** Tolerations. @default - none */
  readonly tolerations?: readonly KubeToleration[];
  /** Affinity and anti-affinity. @default - none */
  readonly affinity?: KubeAffinity;
  /** Priority class of the pods. @default - the cluster default */
  readonly priorityClassName?: string;
  /** Environment variables of the Spark container, by name. @default - none */
  readonly env?: Record<string, string>;
  /** Environment variables filled from Secret keys, by variable name. @default - none */
  readonly secretEnv?: Record<string, SecretKeyReference>;
  /** Whole Secrets exposed as environment variables (`envFrom`). @default - none */
  readonly envFromSecrets?: readonly string[];
  /** Mounts of the application's `volumes` into the Spark container. @default - none */
  readonly volumeMounts?: readonly KubeVolumeMount[];
  /** Init containers, run before the Spark container; restricted security context by default. @default - none */
  readonly initContainers?: readonly KubeContainer[];
  /** Sidecar containers beside the Spark container; restricted security context by default. @default - none */
  readonly sidecars?: readonly KubeContainer[];
  /** Security context of the Spark container, merged over the restricted default. @default - restricted: UID 185, non-root, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp, read-only root filesystem */
  readonly securityContext?: KubeSecurityContext;
}

/** The driver: how it runs, and how its Job retries it. */
export interface SparkDriverSpec extends SparkPodSpec {
  /**
   * Use this existing ServiceAccount for the driver instead of creating one; the driver's Role is
   * still bound to it.
   * @default - a ServiceAccount named `<name>-driver` is created
   */
  readonly serviceAccountName?: string;
  /** Retries of the driver pod after failures (the Job's backoffLimit); node loss and eviction do not count. @default 3 */
  readonly retries?: number;
  /** Give up on the application after this many seconds (the Job's activeDeadlineSeconds). @default - no deadline */
  readonly deadlineSeconds?: number;
  /** Delete the finished Job (and with it the driver pod and any executor pods) after this many seconds. @default - kept until deleted */
  readonly ttlSecondsAfterFinished?: number;
  /** Port of the driver's RPC endpoint (`spark.driver.port`). @default 7078 */
  readonly port?: number;
  /** Port of the driver's block manager (`spark.driver.blockManager.port`). @default 7079 */
  readonly blockManagerPort?: number;
  /** Port of the Spark UI (`spark.ui.port`). @default 4040 */
  readonly uiPort?: number;
}

/** The executors: how many, and how they look. */
export interface SparkExecutorSpec extends SparkPodSpec {
  /** Executor count without dynamic allocation (`spark.executor.instances`). @default 2 */
  readonly instances?: number;
}

/** Dynamic allocation: Spark scales executors with the load. */
export interface DynamicAllocationSpec {
  /** Fewest executors. @default 0 */
  readonly minExecutors?: number;
  /** Executors at start. @default - minExecutors */
  readonly initialExecutors?: number;
  /** Most executors; required, since an unbounded application can exhaust a namespace. */
  readonly maxExecutors: number;
  /** Remove an executor idle this long, a Spark duration. @default "60s" */
  readonly executorIdleTimeout?: string;
  /** Remove an executor holding cached blocks once idle this long, a Spark duration. @default - never */
  readonly cachedExecutorIdleTimeout?: string;
  /** Add executors when tasks have waited this long, a Spark duration. @default "1s" */
  readonly schedulerBacklogTimeout?: string;
  /** Remove an executor holding shuffle data once idle this long (shuffle tracking), a Spark duration. @default - when its shuffle data is no longer needed */
  readonly shuffleTrackingTimeout?: string;
}

/** One Spark application, run by a driver under a Kubernetes Job. */
export interface SparkApplicationSpec {
  /** Name of the application; prefixes every object it renders (a DNS label, at most 34 characters). */
  readonly name: string;
  /** Namespace of every object. @default "default" */
  readonly namespace?: string;
  /** Spark version, e.g. "4.0.2" or "3.5.8": decides the Scala version, the default image and which configuration keys exist. */
  readonly sparkVersion: string;
  /** Language of the main resource. @default "Scala" when `mainClass` is set, else from the file extension (.py Python, .R R) */
  readonly type?: SparkApplicationType;
  /** Container image of driver and executors. @default - `apache/spark:<sparkVersion>` (`-r` suffixed for R) */
  readonly image?: string;
  /** Image pull policy. @default "IfNotPresent" */
  readonly imagePullPolicy?: ImagePullPolicy;
  /** Names of Secrets used to pull the image. @default - none */
  readonly imagePullSecrets?: readonly string[];
  /** Main class of a Java or Scala application. @default - none (required for Java and Scala) */
  readonly mainClass?: string;
  /**
   * The application's jar, .py or .R file: a URI Spark can read (`local:///opt/...`, `https://...`,
   * `s3a://...`), or the path of a file on this machine (relative to the working directory), which is
   * staged (see `staging`).
   */
  readonly mainApplicationFile: string;
  /** Jars for the driver's and executors' classpath (`spark.jars`): URIs, or paths of local files, which are staged. @default - none */
  readonly jars?: readonly string[];
  /** Files for the working directory of every executor (`spark.files`): URIs, or paths of local files, which are staged. @default - none */
  readonly files?: readonly string[];
  /** .py, .zip or .egg files for the Python path (`spark.submit.pyFiles`) of a Python application: URIs, or paths of local files, which are staged. @default - none */
  readonly pyFiles?: readonly string[];
  /**
   * The staging server of the application's namespace, which serves its local files: a
   * `StagingServer` (spec or construct) or a reference to one. Upload the files with
   * `sparkplane stage` before applying (the Pulumi front end uploads them itself). The driver
   * fetches them in an init container; executors get them from the driver.
   * @default - no staging: every dependency must be a URI
   */
  readonly staging?: StagingServerRef;
  /** Arguments passed to the application. @default - none */
  readonly arguments?: readonly string[];
  /** The driver. @default - 1 core, 1g */
  readonly driver?: SparkDriverSpec;
  /** The executors. @default - 2 executors of 1 core, 1g */
  readonly executor?: SparkExecutorSpec;
  /** Scale executors with the load (shuffle tracking keeps shuffle data alive). @default - a fixed `executor.instances` */
  readonly dynamicAllocation?: DynamicAllocationSpec;
  /**
   * Let the sparkplane allocator sidecar create the executor pods Spark asks for: in batches, within
   * the namespace's ResourceQuota, replacing pods stuck Pending (docs/allocator-design.md).
   * @default - Spark's own allocator creates them
   */
  readonly allocator?: AllocatorSpec;
  /**
   * Keep executors' shuffle files on their node, served by an external shuffle service, so dynamic
   * allocation can remove executors without losing map output (docs/shuffle-service.md). Pass the
   * service's spec or construct. Executors then run on the host network with a host directory:
   * podSecurity must be "privileged".
   * @default - no service: with dynamicAllocation, shuffle tracking keeps executors that hold shuffle data
   */
  readonly shuffleService?: ShuffleServiceRef;
  /**
   * Expose Spark's metrics to Prometheus: the driver's and executors' at stable names on the driver's
   * UI port, the driver pod annotated for scraping (docs/monitoring.md).
   * @default - no metrics endpoints
   */
  readonly monitoring?: SparkMonitoringSpec;
  /** Volumes that the driver and executors may mount (`volumeMounts`). @default - none */
  readonly volumes?: readonly KubeVolume[];
  /** Spark configuration; every key is checked against the keys of `sparkVersion`. @default - none */
  readonly sparkConf?: Record<string, string>;
  /** Hadoop configuration, rendered as `spark.hadoop.<key>`. @default - none */
  readonly hadoopConf?: Record<string, string>;
  /**
   * Keys or key prefixes (ending in ".") that `sparkConf` may use although Spark itself does not
   * define them: settings read by plugins, listeners or your own code.
   * @default - none: unknown keys are an error
   */
  readonly customSparkConfKeys?: readonly string[];
  /** Labels added to every rendered object. @default - none */
  readonly labels?: Record<string, string>;
  /**
   * The Pod Security Standards level the pods must meet. Only lower it for a reason (a hostPath
   * volume needs "privileged"); the namespace's enforce label must allow it.
   * @default "restricted"
   */
  readonly podSecurity?: PodSecurityLevel;
}
