// The Spark properties the driver runs with: the typed props turned into configuration keys, then
// the user's free-form sparkConf. Every key here is checked against the targeted Spark line.
import { CONF_MOUNT_PATH, EXECUTOR_CONTAINER_NAME, EXECUTOR_POD_TEMPLATE_FILE, IN_CLUSTER_MASTER } from './layout';
import type { ResolvedSparkApplication } from './resolve';
import { allocatorSparkProperties, BRIDGE_CLASSPATH } from '../allocator/allocator-sidecar';
import { SHUFFLE_OWNED_SPARK_KEYS, shuffleSparkProperties } from '../shuffle-service/application-wiring';
import { DEPENDENCY_SPARK_KEYS } from '../staging/application-wiring';
import { metricsPushEnabled, prometheusEnabled, prometheusSparkProperties } from '../monitoring/spark-metrics';
import { finalReportSparkProperties } from '../monitoring/metrics-push';

/**
 * Keys that typed props own, with the prop to use instead. Setting one in sparkConf would fight
 * the rendered pods (a port the Service does not expose, a namespace the Role does not cover).
 */
export const RESERVED_SPARK_CONF_KEYS: Readonly<Record<string, string>> = {
  'spark.master': 'nothing: the driver always talks to its own cluster',
  'spark.submit.deployMode': 'nothing: the driver runs in client mode inside its Job pod',
  'spark.app.name': 'name',
  'spark.kubernetes.namespace': 'namespace',
  'spark.kubernetes.container.image': 'image',
  'spark.kubernetes.driver.container.image': 'image',
  'spark.kubernetes.executor.container.image': 'image',
  'spark.kubernetes.container.image.pullPolicy': 'imagePullPolicy',
  'spark.kubernetes.container.image.pullSecrets': 'imagePullSecrets',
  'spark.driver.host': 'nothing: it is the driver Service\'s DNS name',
  'spark.driver.bindAddress': 'nothing: it is the driver pod\'s IP',
  'spark.kubernetes.driver.pod.name': 'nothing: it is the driver pod\'s name',
  'spark.driver.port': 'driver.port',
  'spark.driver.blockManager.port': 'driver.blockManagerPort',
  'spark.ui.port': 'driver.uiPort',
  'spark.driver.cores': 'driver.cores',
  'spark.driver.memory': 'driver.memory',
  'spark.driver.memoryOverhead': 'driver.memoryOverhead',
  'spark.executor.cores': 'executor.cores',
  'spark.executor.memory': 'executor.memory',
  'spark.executor.memoryOverhead': 'executor.memoryOverhead',
  'spark.executor.instances': 'executor.instances',
  'spark.kubernetes.executor.request.cores': 'executor.coreRequest',
  'spark.kubernetes.executor.limit.cores': 'executor.coreLimit',
  'spark.kubernetes.executor.podTemplateFile': 'executor (its pod customisation props)',
  'spark.kubernetes.executor.podTemplateContainerName': 'executor (its pod customisation props)',
  'spark.kubernetes.executor.podNamePrefix': 'nothing: it is the driver pod\'s name, unique per driver attempt',
  'spark.dynamicAllocation.enabled': 'dynamicAllocation',
  'spark.dynamicAllocation.minExecutors': 'dynamicAllocation.minExecutors',
  'spark.dynamicAllocation.initialExecutors': 'dynamicAllocation.initialExecutors',
  'spark.dynamicAllocation.maxExecutors': 'dynamicAllocation.maxExecutors',
  'spark.dynamicAllocation.executorIdleTimeout': 'dynamicAllocation.executorIdleTimeout',
  'spark.dynamicAllocation.cachedExecutorIdleTimeout': 'dynamicAllocation.cachedExecutorIdleTimeout',
  'spark.dynamicAllocation.schedulerBacklogTimeout': 'dynamicAllocation.schedulerBacklogTimeout',
  'spark.dynamicAllocation.shuffleTracking.enabled': 'dynamicAllocation',
  'spark.dynamicAllocation.shuffleTracking.timeout': 'dynamicAllocation.shuffleTrackingTimeout',
  ...SHUFFLE_OWNED_SPARK_KEYS,
  ...DEPENDENCY_SPARK_KEYS,
};

/** The rendered Spark properties of an application, sorted by key. */
export function renderSparkProperties(app: ResolvedSparkApplication): Record<string, string> {
  const { spec, driver, executor } = app;
  const properties: Record<string, string | undefined> = {
    'spark.master': IN_CLUSTER_MASTER,
    'spark.submit.deployMode': 'client',
    'spark.app.name': app.name,
    'spark.kubernetes.namespace': app.namespace,
    'spark.kubernetes.container.image': app.image,
    'spark.kubernetes.container.image.pullPolicy': spec.imagePullPolicy ?? 'IfNotPresent',
    'spark.kubernetes.container.image.pullSecrets': spec.imagePullSecrets?.length ? spec.imagePullSecrets.join(',') : undefined,
    // Executors reach the driver through its headless Service: stable across driver retries.
    'spark.driver.host': `${app.names.driverService}.${app.namespace}.svc`,
    'spark.driver.port': String(driver.port),
    'spark.driver.blockManager.port': String(driver.blockManagerPort),
    'spark.ui.port': String(driver.uiPort),
    'spark.driver.cores': String(driver.cores),
    'spark.driver.memory': driver.memory,
    'spark.executor.cores': String(executor.cores),
    'spark.executor.memory': executor.memory,
    'spark.executor.memoryOverhead': executor.memoryOverhead,
    'spark.kubernetes.executor.request.cores': executor.coreRequest,
    'spark.kubernetes.executor.limit.cores': executor.coreLimit,
    'spark.kubernetes.executor.podTemplateFile': `${CONF_MOUNT_PATH}/${EXECUTOR_POD_TEMPLATE_FILE}`,
    'spark.kubernetes.executor.podTemplateContainerName': EXECUTOR_CONTAINER_NAME,
    // No executor claims unless the user configures on-demand ones: saves the driver a PVC list
    // per allocation round, which its Role does not grant.
    'spark.kubernetes.driver.ownPersistentVolumeClaim': 'false',
    'spark.kubernetes.driver.reusePersistentVolumeClaim': 'false',
    // The driver's Services belong to this stack, not to Spark: it must not delete them (nor need the right to).
    'spark.kubernetes.driver.service.deleteOnTermination': 'false',
    ...executorCount(app),
    'spark.jars': list(app.dependencies.jars),
    'spark.files': list(app.dependencies.files),
    'spark.submit.pyFiles': list(app.dependencies.pyFiles),
    ...Object.fromEntries(Object.entries(spec.hadoopConf ?? {}).map(([key, value]) => [`spark.hadoop.${key}`, value])),
    ...(app.allocator ? allocatorSparkProperties(app.allocator) : {}),
    ...(app.shuffleService ? shuffleSparkProperties(app.shuffleService, spec.dynamicAllocation !== undefined) : {}),
    ...(prometheusEnabled(spec.monitoring) ? prometheusSparkProperties() : {}),
    ...(metricsPushEnabled(spec.monitoring) ? finalReportSparkProperties() : {}),
    ...spec.sparkConf,
    // The bridge jar goes first on the driver's classpath, before anything the user adds.
    ...(app.allocator ? { 'spark.driver.extraClassPath': [BRIDGE_CLASSPATH, spec.sparkConf?.['spark.driver.extraClassPath']].filter(Boolean).join(':') } : {}),
  };
  return Object.fromEntries(
    Object.entries(properties)
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

function list(items: readonly string[]): string | undefined {
  return items.length ? items.join(',') : undefined;
}

function executorCount(app: ResolvedSparkApplication): Record<string, string | undefined> {
  const dynamic = app.spec.dynamicAllocation;
  if (!dynamic) return { 'spark.executor.instances': String(app.executor.instances) };
  const min = dynamic.minExecutors ?? 0;
  return {
    'spark.dynamicAllocation.enabled': 'true',
    // Without an external shuffle service, shuffle tracking keeps executors that hold live shuffle
    // data (the service's wiring turns it off).
    'spark.dynamicAllocation.shuffleTracking.enabled': 'true',
    'spark.dynamicAllocation.shuffleTracking.timeout': dynamic.shuffleTrackingTimeout,
    'spark.dynamicAllocation.minExecutors': String(min),
    'spark.dynamicAllocation.initialExecutors': String(dynamic.initialExecutors ?? min),
    'spark.dynamicAllocation.maxExecutors': String(dynamic.maxExecutors),
    'spark.dynamicAllocation.executorIdleTimeout': dynamic.executorIdleTimeout ?? '60s',
    'spark.dynamicAllocation.cachedExecutorIdleTimeout': dynamic.cachedExecutorIdleTimeout,
    'spark.dynamicAllocation.schedulerBacklogTimeout': dynamic.schedulerBacklogTimeout ?? '1s',
  };
}

/**
 * The properties as a java.util.Properties file, which spark-submit reads with --properties-file:
 * backslashes, line breaks, leading blanks and the separators in keys are escaped.
 */
export function formatJavaProperties(properties: Record<string, string>): string {
  const escape = (text: string, isKey: boolean) =>
    // Most keys and values need no escaping: skip the replacements for them.
    !/[\\\n\r\t\f=: #!]|[^\x20-\x7e]/.test(text)
      ? text
      : text
          .replace(/\\/g, '\\\\')
          .replace(/\n/g, '\\n')
          .replace(/\r/g, '\\r')
          .replace(/\t/g, '\\t')
          .replace(/\f/g, '\\f')
          .replace(isKey ? /([=: #!])/g : /^([ #!])/, '\\$1')
          .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return Object.entries(properties).map(([key, value]) => `${escape(key, true)}=${escape(value, false)}\n`).join('');
}
