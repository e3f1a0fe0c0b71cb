// Names and labels of everything one application renders, derived from its name in one place so
// the objects that refer to each other (Service selectors, RoleBinding subjects) always agree.

/**
 * Longest application name. Executor pods are named after the driver pod that owns them
 * (`<name>-driver-<5 random>-exec-<id>`), which keeps them unique across driver retries; Spark
 * allows a pod name prefix of at most 47 characters, and "-driver-xxxxx" takes 13.
 */
export const MAX_APPLICATION_NAME_LENGTH = 34;

/** The label that ties every object and pod to its application. */
export const APPLICATION_LABEL = 'sparkplane.io/application';
/** Spark's own label for a pod's role ("driver" or "executor"). */
export const SPARK_ROLE_LABEL = 'spark-role';
/** Annotation on the driver pod template: the digest of the Spark configuration it runs with. */
export const SPARK_CONF_DIGEST_ANNOTATION = 'sparkplane.io/spark-conf-sha256';

/** Names of the objects rendered for application `name`. */
export interface SparkApplicationNames {
  /** The driver's Job, and its ServiceAccount, Role and RoleBinding. */
  readonly driver: string;
  /** The headless Service that gives the driver a stable DNS name. */
  readonly driverService: string;
  /** The Service in front of the Spark UI. */
  readonly uiService: string;
  /** The ConfigMap holding the Spark properties and the executor pod template. */
  readonly configMap: string;
}

/** The names of application `name`'s objects. */
export function sparkApplicationNames(name: string): SparkApplicationNames {
  return { driver: `${name}-driver`, driverService: `${name}-driver`, uiService: `${name}-ui`, configMap: `${name}-spark-conf` };
}

/** Labels every object of the application carries, with the user's labels first so ours win. */
export function applicationLabels(name: string, userLabels: Record<string, string> = {}, component?: string): Record<string, string> {
  return {
    ...userLabels,
    'app.kubernetes.io/instance': name,
    'app.kubernetes.io/managed-by': 'sparkplane',
    ...(component ? { 'app.kubernetes.io/component': component } : {}),
    [APPLICATION_LABEL]: name,
  };
}
