// Paths, ports and defaults of the external shuffle service, shared by the DaemonSet, the
// applications that use it and the tests. Every container mounts host paths at the same path, so
// a path in one container's log is the same file in every other.
import { compact } from '../compact';
import type { ShuffleServiceRef } from './spec';

/** Default host directory of the service on every node. */
export const DEFAULT_SHUFFLE_HOST_PATH = '/var/lib/sparkplane/shuffle';
/** Spark's default `spark.shuffle.service.port`, the same on every line. */
export const DEFAULT_SHUFFLE_PORT = 7337;
/** Default port of the janitor's /healthz, /readyz and /metrics. */
export const DEFAULT_JANITOR_METRICS_PORT = 7338;
/** Default UDP port (127.0.0.1) of the janitor's StatsD relay. */
export const DEFAULT_STATSD_PORT = 7339;
/** Default namespace of the service. */
export const DEFAULT_SHUFFLE_NAMESPACE = 'sparkplane-shuffle';

/** Under the host directory: where executors write, one folder per namespace and driver pod. */
export const APPS_SUBDIR = 'apps';
/** Under the host directory: the service's registered-executors database (`spark.local.dir`). */
export const STATE_SUBDIR = 'state';

/**
 * Name of the executors' hostPath volume. Not `spark-local-dir-*`: Spark still mounts its own emptyDir
 * at SPARK_LOCAL_DIRS, but SPARK_EXECUTOR_DIRS comes first (Utils.getConfiguredLocalDirs), so every
 * local file of the executor (shuffle output, spills, PySpark's) goes to the host directory.
 */
export const EXECUTOR_SHUFFLE_VOLUME = 'sparkplane-shuffle';
/** Env var of the driver container with its pod's UID, part of the executors' directory. */
export const DRIVER_POD_UID_ENV = 'SPARK_DRIVER_POD_UID';

/** A ShuffleServiceRef with its defaults applied. */
export interface ResolvedShuffleServiceRef {
  /** The host directory on every node. */
  readonly hostPath: string;
  /** `<hostPath>/apps`, where executors write. */
  readonly appsDir: string;
  /** The service's port. */
  readonly port: number;
  /** The janitor's metrics port. */
  readonly metricsPort: number;
  /** The nodes the service runs on (empty: all). */
  readonly nodeSelector: Record<string, string>;
  /** The taints the service tolerates. */
  readonly tolerations: readonly NonNullable<ShuffleServiceRef['tolerations']>[number][];
  /** The namespaces it serves, or "*". */
  readonly applicationNamespaces: readonly string[] | '*';
}

/** Applies the defaults of a (validated) reference. */
export function resolveShuffleServiceRef(ref: ShuffleServiceRef): ResolvedShuffleServiceRef {
  const hostPath = ref.hostPath ?? DEFAULT_SHUFFLE_HOST_PATH;
  return {
    hostPath,
    appsDir: `${hostPath}/${APPS_SUBDIR}`,
    port: ref.port ?? DEFAULT_SHUFFLE_PORT,
    metricsPort: ref.metricsPort ?? DEFAULT_JANITOR_METRICS_PORT,
    nodeSelector: ref.nodeSelector ?? {},
    tolerations: ref.tolerations ?? [],
    applicationNamespaces: ref.applicationNamespaces,
  };
}

/**
 * An application's executor directory root, as the driver passes it in
 * `spark.executorEnv.SPARK_EXECUTOR_DIRS`: Kubernetes expands the two `$(…)` variables in the
 * driver's args, and Spark replaces the literal `SPARK_APPLICATION_ID` in each executor's env
 * (BasicExecutorFeatureStep). The janitor parses `<namespace>/<pod>_<uid>` back (janitor.ts).
 */
export function executorDirsTemplate(appsDir: string, namespace: string): string {
  return `${appsDir}/${namespace}/$(SPARK_DRIVER_POD_NAME)_$(${DRIVER_POD_UID_ENV})/SPARK_APPLICATION_ID`;
}

/** Only the reference fields of `ref`: front ends pass their service component through this. */
export function shuffleServiceRefOf(ref: ShuffleServiceRef): ShuffleServiceRef {
  // Anything else is for validation to name.
  if (typeof ref !== 'object' || ref === null) return ref;
  const { hostPath, port, metricsPort, nodeSelector, tolerations, applicationNamespaces } = ref;
  return compact({ hostPath, port, metricsPort, nodeSelector, tolerations, applicationNamespaces });
}
