// What the `allocator` option adds to an application: the bridge class and its jar on the driver's
// classpath, the allocation keys (rendered from the same props as the sidecar's environment, so Spark's
// UI shows what the sidecar does), an init container that installs the jar, the sidecar itself as a
// native sidecar (an init container with restartPolicy Always: it starts before the driver and is
// stopped after it, so the Job still completes), and the sidecar's extra RBAC.
import { compact } from '../compact';
import type { KubeContainer, KubeEnvVar, KubeVolumeMount } from '../kube-objects';
import { containerSecurityContext } from '../pod-security';
import { sparkConfKeys } from '../spark/conf-keys';
import type { SparkLine } from '../spark/spark-version';
import type { AllocatorSpec } from './allocator-spec';
import {
  ALLOCATOR_BRIDGE_CLASS, ALLOCATOR_BRIDGE_JAR, ALLOCATOR_BRIDGE_PORT, ALLOCATOR_METRICS_PORT, ALLOCATOR_URL_ENV,
} from './protocol';

/** The non-root user of the sparkplane image. */
export const SPARKPLANE_IMAGE_UID = 65532;
/** Name of the emptyDir that carries the bridge jar from the init container to the driver. */
export const BRIDGE_VOLUME_NAME = 'sparkplane-bridge';
/** Where the driver container mounts it; the jar's folder on the driver's classpath. */
export const BRIDGE_MOUNT_PATH = '/opt/sparkplane/driver-classpath';
/** Names of the two init containers. */
export const INSTALL_BRIDGE_CONTAINER_NAME = 'install-allocator-bridge';
export const ALLOCATOR_CONTAINER_NAME = 'allocator';

/** The Spark keys the allocator owns: set through its props, not sparkConf. */
export const ALLOCATOR_OWNED_SPARK_KEYS: Readonly<Record<string, string>> = {
  'spark.kubernetes.allocation.pods.allocator': 'allocator (the option itself)',
  'spark.kubernetes.allocation.batch.size': 'allocator.batchSize',
  'spark.kubernetes.allocation.batch.delay': 'allocator.batchDelay',
  'spark.kubernetes.allocation.maxPendingPods': 'allocator.maxPendingPods',
  'spark.kubernetes.allocation.executor.timeout': 'allocator.pendingTimeout',
};

/** The allocator's settings with defaults applied. */
export interface ResolvedAllocator {
  readonly spec: AllocatorSpec;
  readonly batchSize: number;
  readonly batchDelay: string;
  readonly pendingDeadline: string;
  readonly pendingTimeout: string;
  readonly failedPodGrace: string;
  /** Most executors at once: dynamic allocation's maximum, or the fixed count. */
  readonly maxExecutors: number;
}

/** Applies the defaults; `maxExecutors` comes from the application's executor count. */
export function resolveAllocator(spec: AllocatorSpec, line: SparkLine, maxExecutors: number): ResolvedAllocator {
  return {
    spec,
    batchSize: spec.batchSize ?? Number(sparkConfKeys(line).get('spark.kubernetes.allocation.batch.size')?.default ?? 10),
    batchDelay: spec.batchDelay ?? '1s',
    pendingDeadline: spec.pendingDeadline ?? '60s',
    pendingTimeout: spec.pendingTimeout ?? '600s',
    failedPodGrace: spec.failedPodGrace ?? '30s',
    maxExecutors,
  };
}

/** The jar on the driver's classpath. */
export const BRIDGE_CLASSPATH = `${BRIDGE_MOUNT_PATH}/${ALLOCATOR_BRIDGE_JAR}`;

/** Spark properties the allocator sets (extraClassPath is merged with the user's by the caller). */
export function allocatorSparkProperties(allocator: ResolvedAllocator): Record<string, string | undefined> {
  return {
    'spark.kubernetes.allocation.pods.allocator': ALLOCATOR_BRIDGE_CLASS,
    'spark.kubernetes.allocation.batch.size': String(allocator.batchSize),
    'spark.kubernetes.allocation.batch.delay': allocator.batchDelay,
    'spark.kubernetes.allocation.executor.timeout': allocator.pendingTimeout,
    'spark.kubernetes.allocation.maxPendingPods': allocator.spec.maxPendingPods === undefined ? undefined : String(allocator.spec.maxPendingPods),
  };
}

/** The sidecar's environment: the same settings as the Spark keys above. */
function allocatorEnv(allocator: ResolvedAllocator): KubeEnvVar[] {
  const { spec } = allocator;
  return [
    { name: 'SPARKPLANE_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    { name: 'SPARKPLANE_DRIVER_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'SPARKPLANE_ALLOCATOR_BATCH_SIZE', value: String(allocator.batchSize) },
    { name: 'SPARKPLANE_ALLOCATOR_BATCH_DELAY', value: allocator.batchDelay },
    { name: 'SPARKPLANE_ALLOCATOR_MAX_EXECUTORS', value: String(allocator.maxExecutors) },
    ...(spec.maxPendingPods === undefined ? [] : [{ name: 'SPARKPLANE_ALLOCATOR_MAX_PENDING_PODS', value: String(spec.maxPendingPods) }]),
    { name: 'SPARKPLANE_ALLOCATOR_PENDING_DEADLINE', value: allocator.pendingDeadline },
    { name: 'SPARKPLANE_ALLOCATOR_PENDING_TIMEOUT', value: allocator.pendingTimeout },
    { name: 'SPARKPLANE_ALLOCATOR_FAILED_POD_GRACE', value: allocator.failedPodGrace },
    { name: 'SPARKPLANE_ALLOCATOR_BRIDGE_PORT', value: String(ALLOCATOR_BRIDGE_PORT) },
    { name: 'SPARKPLANE_ALLOCATOR_METRICS_PORT', value: String(ALLOCATOR_METRICS_PORT) },
    { name: 'SPARKPLANE_ALLOCATOR_LOG_LEVEL', value: spec.logLevel ?? 'info' },
  ];
}

/** The init container that installs the jar, then the sidecar (restartPolicy Always). */
export function allocatorInitContainers(allocator: ResolvedAllocator): KubeContainer[] {
  const { spec } = allocator;
  const memory = spec.memory ?? '128Mi';
  const common = {
    image: spec.image,
    imagePullPolicy: spec.imagePullPolicy ?? 'IfNotPresent',
    securityContext: containerSecurityContext({}, SPARKPLANE_IMAGE_UID),
  };
  const probe = (path: string) => ({ httpGet: { path, port: ALLOCATOR_METRICS_PORT }, periodSeconds: 10, timeoutSeconds: 2 });
  return [
    {
      name: INSTALL_BRIDGE_CONTAINER_NAME,
      ...common,
      args: ['install-bridge', BRIDGE_MOUNT_PATH],
      resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } },
      volumeMounts: [{ name: BRIDGE_VOLUME_NAME, mountPath: BRIDGE_MOUNT_PATH }],
    },
    compact({
      name: ALLOCATOR_CONTAINER_NAME,
      ...common,
      // A native sidecar: started before the driver container, stopped after it.
      restartPolicy: 'Always',
      args: ['allocator'],
      env: allocatorEnv(allocator),
      ports: [{ name: 'alloc-metrics', containerPort: ALLOCATOR_METRICS_PORT, protocol: 'TCP' }],
      // The driver starts once the sidecar reaches the API server; a wedged sidecar is restarted.
      startupProbe: { ...probe('/readyz'), periodSeconds: 1, failureThreshold: 120 },
      readinessProbe: probe('/readyz'),
      livenessProbe: { ...probe('/healthz'), failureThreshold: 3 },
      resources: { requests: { cpu: spec.cpuRequest ?? '50m', memory }, limits: { memory } },
    }) as KubeContainer,
  ];
}

/** What the driver container gets: the sidecar's address and the jar's folder. */
export function allocatorDriverEnv(): KubeEnvVar[] {
  return [{ name: ALLOCATOR_URL_ENV, value: `http://127.0.0.1:${ALLOCATOR_BRIDGE_PORT}` }];
}
export function allocatorDriverMounts(): KubeVolumeMount[] {
  return [{ name: BRIDGE_VOLUME_NAME, mountPath: BRIDGE_MOUNT_PATH, readOnly: true }];
}
export function allocatorVolumes(): Array<Record<string, unknown>> {
  return [{ name: BRIDGE_VOLUME_NAME, emptyDir: { sizeLimit: '16Mi' } }];
}

/**
 * The sidecar's rules beyond the driver's (same pod, same ServiceAccount): it creates, watches and
 * deletes executor pods, which the driver already may; it reads the namespace's ResourceQuotas, and
 * watches them so that room freed elsewhere is used at once rather than found by polling.
 */
export const ALLOCATOR_POLICY_RULES = [{ apiGroups: [''], resources: ['resourcequotas'], verbs: ['get', 'list', 'watch'] }] as const;
