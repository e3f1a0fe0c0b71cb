// Paths and ports inside the driver and executor containers. The Spark properties, the pod specs
// and the tests all read them from here.

/** Where the driver mounts the application's ConfigMap. */
export const CONF_MOUNT_PATH = '/opt/sparkplane/conf';
/** File (in the ConfigMap) with the Spark properties, passed to spark-submit as --properties-file. */
export const SPARK_PROPERTIES_FILE = 'spark.properties';
/** File (in the ConfigMap) with the executor pod template. */
export const EXECUTOR_POD_TEMPLATE_FILE = 'executor-pod-template.yaml';
/** Name of the Spark container in the driver pod. */
export const DRIVER_CONTAINER_NAME = 'spark-driver';
/** Name of the Spark container in the executor pod template (`spark.kubernetes.executor.podTemplateContainerName`). */
export const EXECUTOR_CONTAINER_NAME = 'spark-executor';

/**
 * Writable scratch paths of Apache Spark's image, mounted as emptyDirs because the root filesystem
 * is read-only: the JVM and PySpark write to /tmp, and the image's working directory is work-dir.
 */
export const SCRATCH_VOLUMES: ReadonlyArray<{ readonly name: string; readonly mountPath: string }> = [
  { name: 'spark-tmp', mountPath: '/tmp' },
  { name: 'spark-work-dir', mountPath: '/opt/spark/work-dir' },
];

/** Default ports of the driver, as Spark's own cluster mode uses them. */
export const DEFAULT_DRIVER_PORT = 7078;
/** Default port of the driver's block manager. */
export const DEFAULT_BLOCK_MANAGER_PORT = 7079;
/** Default port of the Spark UI. */
export const DEFAULT_UI_PORT = 4040;

/** The in-cluster API server, as the driver reaches it. */
export const IN_CLUSTER_MASTER = 'k8s://https://kubernetes.default.svc:443';
