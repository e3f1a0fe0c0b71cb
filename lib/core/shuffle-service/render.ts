// renderExternalShuffleService: validate, resolve defaults, and return every object of the service
// in a fixed order (namespace, identity and permissions, configuration, the DaemonSet). No
// PodDisruptionBudget: the disruption controller cannot evaluate maxUnavailable for a DaemonSet's
// pods (no scale subresource: "SyncFailed", every eviction refused), a fixed minAvailable would need
// the node count, and `kubectl drain --ignore-daemonsets` leaves the pods alone anyway. The
// DaemonSet's own rolling update (one node at a time) is what keeps the service available.
import type { KubeObject } from '../kube-objects';
import { assertEmittedKeysExist } from '../spark/conf-keys';
import { formatJavaProperties } from '../spark-application/spark-properties';
import { renderShuffleDaemonSet, shuffleServiceLabels } from './daemon-set';
import { STATE_SUBDIR } from './layout';
import { resolveShuffleService, type ResolvedShuffleService } from './resolve';
import type { ExternalShuffleServiceSpec } from './spec';
import { validateExternalShuffleService } from './validate';

/** The janitor's only permission: read a driver pod, by name, in the application namespaces. */
export const SHUFFLE_JANITOR_POLICY_RULES = [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] as const;

/** Every Kubernetes object of the service. Throws `SparkplaneValidationError` on bad input. */
export function renderExternalShuffleService(spec: ExternalShuffleServiceSpec): KubeObject[] {
  validateExternalShuffleService(spec);
  const service = resolveShuffleService(spec);
  const labels = shuffleServiceLabels(service);
  const meta = (name: string) => ({ name, namespace: service.namespace, labels });
  const janitorRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: service.names.janitorRole };
  const janitorSubject = [{ kind: 'ServiceAccount', name: service.names.janitor, namespace: service.namespace }];
  const bindings: KubeObject[] = service.applicationNamespaces === '*'
    ? [{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: service.names.janitorRole, labels }, roleRef: janitorRef, subjects: janitorSubject }]
    : service.applicationNamespaces.map((namespace) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: service.names.janitorRole, namespace, labels },
      roleRef: janitorRef,
      subjects: janitorSubject,
    }));
  return [
    ...(spec.createNamespace === false ? [] : [renderShuffleNamespace(service)]),
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(service.names.janitor), automountServiceAccountToken: false },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: service.names.janitorRole, labels }, rules: SHUFFLE_JANITOR_POLICY_RULES.map((rule) => ({ ...rule, apiGroups: [...rule.apiGroups], resources: [...rule.resources], verbs: [...rule.verbs] })) },
    ...bindings,
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(service.names.configMap), data: shuffleServiceConfigFiles(service) },
    renderShuffleDaemonSet(service),
  ];
}

/**
 * The namespace, at the Pod Security level its pods need: "privileged" for the host network and
 * the host directory, while warnings and audit still report anything beyond "baseline".
 */
function renderShuffleNamespace(service: ResolvedShuffleService): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: service.namespace,
      labels: {
        ...shuffleServiceLabels(service),
        'pod-security.kubernetes.io/enforce': 'privileged',
        'pod-security.kubernetes.io/warn': 'baseline',
        'pod-security.kubernetes.io/audit': 'baseline',
      },
    },
  };
}

/** The service's spark-defaults.conf (Spark properties) and log4j2.properties. */
export function shuffleServiceConfigFiles(service: ResolvedShuffleService): Record<string, string> {
  const sink = 'spark.metrics.conf.shuffleService.sink.statsd';
  const properties: Record<string, string> = {
    'spark.shuffle.service.port': String(service.port),
    // The registered-executors database, kept across restarts so executors need not register again.
    'spark.local.dir': `${service.hostPath}/${STATE_SUBDIR}`,
    'spark.shuffle.service.db.backend': 'ROCKSDB',
    // The code-generation and Hive catalog sources mean nothing in this JVM.
    'spark.metrics.staticSources.enabled': 'false',
    // The service has no HTTP server for Spark's Prometheus servlet: its metrics go to the janitor, which serves them.
    [`${sink}.class`]: 'org.apache.spark.metrics.sink.StatsdSink',
    [`${sink}.host`]: '127.0.0.1',
    [`${sink}.port`]: String(service.statsdPort),
    [`${sink}.period`]: '10',
    [`${sink}.unit`]: 'SECONDS',
    ...service.spec.sparkConf,
  };
  assertEmittedKeysExist(properties, service.version.line, service.spec.sparkConf ?? {});
  return { 'spark-defaults.conf': formatJavaProperties(Object.fromEntries(Object.entries(properties).sort(([a], [b]) => (a < b ? -1 : 1)))), 'log4j2.properties': LOG4J2_PROPERTIES };
}

/** Logs to stderr as Spark's own template does; RocksDB's JNI logger (hundreds of INFO lines at start) at WARN. */
const LOG4J2_PROPERTIES = [
  'rootLogger.level = info',
  'rootLogger.appenderRef.stdout.ref = console',
  'appender.console.type = Console',
  'appender.console.name = console',
  'appender.console.target = SYSTEM_ERR',
  'appender.console.layout.type = PatternLayout',
  'appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex',
  'logger.rocksdb.name = org.apache.spark.network.util.RocksDBProvider$RocksDBLogger',
  'logger.rocksdb.level = warn',
  '',
].join('\n');
