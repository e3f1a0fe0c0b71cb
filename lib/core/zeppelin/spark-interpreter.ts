// The Spark interpreter as a Spark application: the ZeppelinSparkSpec becomes a SparkApplicationSpec,
// validated, resolved and turned into Spark properties by the SparkApplication code itself. The
// interpreter pod is the application's driver (client mode): Zeppelin's launcher names it, and fixes
// the master, the namespace, the driver's address and its ports.
import { resolveSparkApplication, type ResolvedSparkApplication } from '../spark-application/resolve';
import { renderSparkProperties } from '../spark-application/spark-properties';
import type { SparkApplicationSpec } from '../spark-application/spec';
import { defaultSparkImage } from '../spark/spark-version';
import {
  DEFAULT_ZEPPELIN_SPARK_INTERPRETERS, ZEPPELIN_HOME, ZEPPELIN_SPARK_BLOCK_MANAGER_PORT, ZEPPELIN_SPARK_DRIVER_PORT, ZEPPELIN_SPARK_UI_PORT,
  ZEPPELIN_VERSION, zeppelinNames,
} from './layout';
import type { ZeppelinSparkInterpreter, ZeppelinSpec } from './spec';

/**
 * Keys Zeppelin's launcher sets on every Spark interpreter (K8sRemoteInterpreterProcess
 * .setupPropertiesForSparkK8s): sparkplane leaves them to it. The driver's ports are rendered with
 * the launcher's own values, so the block manager port survives the shuffle option's
 * `spark.blockManager.port=0`.
 */
export const LAUNCHER_OWNED_SPARK_KEYS = ['spark.master', 'spark.submit.deployMode', 'spark.kubernetes.namespace', 'spark.kubernetes.driver.pod.name', 'spark.driver.host', 'spark.driver.bindAddress', 'spark.kubernetes.container.image', 'spark.app.name'];

/** The interpreters a spec offers. */
export function interpretersOf(spec: ZeppelinSpec): readonly ZeppelinSparkInterpreter[] {
  return spec.spark?.interpreters ?? DEFAULT_ZEPPELIN_SPARK_INTERPRETERS;
}

/** The SparkApplicationSpec the interpreter runs as. */
export function interpreterApplicationSpec(spec: ZeppelinSpec): SparkApplicationSpec {
  const { driver, interpreters: _interpreters, ...spark } = spec.spark ?? ({} as ZeppelinSpec['spark']);
  return {
    ...spark,
    name: spec.name,
    namespace: spec.namespace,
    labels: spec.labels,
    imagePullSecrets: spark.imagePullSecrets ?? spec.imagePullSecrets,
    // Not run: Zeppelin's interpreter.sh submits its own jar. Given so that the SparkApplication
    // validation (which requires a main resource) checks everything else.
    type: 'Scala',
    mainClass: 'org.apache.zeppelin.interpreter.remote.RemoteInterpreterServer',
    mainApplicationFile: `local://${ZEPPELIN_HOME}/interpreter/spark/spark-interpreter-${ZEPPELIN_VERSION}.jar`,
    driver: {
      ...driver,
      serviceAccountName: zeppelinNames(spec.name).interpreter,
      port: ZEPPELIN_SPARK_DRIVER_PORT,
      blockManagerPort: ZEPPELIN_SPARK_BLOCK_MANAGER_PORT,
      uiPort: ZEPPELIN_SPARK_UI_PORT,
    },
  };
}

/** The resolved interpreter application: Python's memory overhead when PySpark is offered, the R image when R is. */
export function resolveInterpreterApplication(spec: ZeppelinSpec): ResolvedSparkApplication {
  const app = resolveSparkApplication(interpreterApplicationSpec(spec));
  const interpreters = interpretersOf(spec);
  const language = interpreters.some((i) => i === 'r' || i === 'ir') ? 'r' : interpreters.some((i) => i === 'pyspark' || i === 'ipyspark') ? 'python' : 'jvm';
  return { ...app, language, image: spec.spark.image ?? defaultSparkImage(app.version, language) };
}

/** The interpreter's Spark properties, without the keys the launcher sets. */
export function interpreterSparkProperties(app: ResolvedSparkApplication): Record<string, string> {
  const properties = renderSparkProperties(app);
  for (const key of LAUNCHER_OWNED_SPARK_KEYS) delete properties[key];
  return properties;
}

/** The Spark image's Spark, which the interpreter container runs spark-submit from. */
export const INTERPRETER_SPARK_HOME = '/opt/spark';
/** The in-cluster API server as the Spark interpreter setting names it (the launcher rewrites any k8s:// master to this). */
export const ZEPPELIN_SPARK_MASTER = 'k8s://https://kubernetes.default.svc';

/**
 * The properties of Zeppelin's `spark` interpreter setting that sparkplane owns: they are written
 * into interpreter.json at every server start, because the interpreter applies every setting
 * property to its SparkConf over what spark-submit was given (SparkInterpreter.open), and Zeppelin's
 * own defaults (1g executors, 2 instances) would win otherwise. Upper-case properties reach the
 * interpreter pod as env vars. `sparkProperties` are interpreterSparkProperties' result.
 */
export function interpreterSettingProperties(sparkProperties: Readonly<Record<string, string>>): Record<string, string> {
  const properties: Record<string, string> = {
    // The launcher only goes Kubernetes-native for a k8s:// master.
    'spark.master': ZEPPELIN_SPARK_MASTER,
    ...sparkProperties,
    SPARK_HOME: INTERPRETER_SPARK_HOME,
    PYSPARK_PYTHON: 'python3',
    PYSPARK_DRIVER_PYTHON: 'python3',
  };
  // Zeppelin's default of 2 instances would raise dynamic allocation's initial executors.
  if (properties['spark.dynamicAllocation.enabled'] === 'true') properties['spark.executor.instances'] = properties['spark.dynamicAllocation.initialExecutors'];
  return properties;
}
