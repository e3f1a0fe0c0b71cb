// The driver runs in client mode inside the pod of a batch/v1 Job. The Job is what makes it
// resilient: a driver pod lost with its node, or evicted, is replaced (and, by the pod failure
// policy, not counted against the retries), while a driver that fails on its own is retried up to
// `driver.retries` times. Executors are owned by the driver pod that created them (Spark sets the
// owner reference from spark.kubernetes.driver.pod.name), so they are garbage-collected with it.
import { createHash } from 'crypto';
import type { KubeObject } from '../kube-objects';
import {
  CONF_MOUNT_PATH, DRIVER_CONTAINER_NAME, SPARK_PROPERTIES_FILE,
} from './layout';
import { APPLICATION_LABEL, applicationLabels, SPARK_CONF_DIGEST_ANNOTATION, SPARK_ROLE_LABEL } from './naming';
import { driverContainerMemoryMiB, type ResolvedSparkApplication } from './resolve';
import { compact } from '../compact';
import { podPlacementFields } from '../pod-placement';
import { driverMetricsAnnotations, metricsPushEnabled, prometheusEnabled } from '../monitoring/spark-metrics';
import { finalReportDriverMount, finalReportVolume, metricsPushContainer } from '../monitoring/metrics-push';
import { shuffleDriverArguments, shuffleDriverEnv } from '../shuffle-service/application-wiring';
import { fetchStagedContainer, stagedFilesMount, stagingVolumes } from '../staging/application-wiring';
import { allocatorDriverEnv, allocatorDriverMounts, allocatorInitContainers, allocatorVolumes } from '../allocator/allocator-sidecar';
import {
  extraContainers, podPlacementAndSecurity, scratchVolumes, sparkContainerEnv, sparkContainerEnvFrom,
  sparkContainerMounts, sparkContainerSecurityContext,
} from './spark-pod';

/** Labels that select the driver pod (the driver Services use them). */
export function driverSelector(app: ResolvedSparkApplication): Record<string, string> {
  return { [APPLICATION_LABEL]: app.name, [SPARK_ROLE_LABEL]: 'driver' };
}

/**
 * Kubernetes expands "$(VAR)" in args and turns "$$" into "$", so user text must have every "$"
 * doubled to reach the program unchanged.
 */
function escapeArgument(argument: string): string {
  return argument.replace(/\$/g, '$$$$');
}

/** spark-submit's arguments after the image entrypoint's "driver" mode. */
export function driverArguments(app: ResolvedSparkApplication): string[] {
  const { spec } = app;
  return [
    'driver',
    '--properties-file', `${CONF_MOUNT_PATH}/${SPARK_PROPERTIES_FILE}`,
    // Executors are owned by this pod, so they go when it goes, and a retried driver starts clean.
    '--conf', 'spark.kubernetes.driver.pod.name=$(SPARK_DRIVER_POD_NAME)',
    // Executor pods named after their driver pod: a retried driver's executors never collide with
    // the finished ones of an earlier attempt, which stay (owned by that attempt's pod) until the Job goes.
    '--conf', 'spark.kubernetes.executor.podNamePrefix=$(SPARK_DRIVER_POD_NAME)',
    ...(app.shuffleService ? shuffleDriverArguments(app.shuffleService, app.namespace) : []),
    ...(app.language === 'jvm' && spec.mainClass ? ['--class', spec.mainClass] : []),
    escapeArgument(app.dependencies.mainApplicationFile),
    ...(spec.arguments ?? []).map(escapeArgument),
  ];
}

/**
 * The driver's pod template: the Spark container with the sidecars, init containers and volumes
 * that the allocator, staging and shuffle options add. The Job runs it; Zeppelin's interpreter pod
 * is built from it too. `sparkPropertiesDigest` changes it whenever the configuration changes.
 */
export function driverPodTemplate(app: ResolvedSparkApplication, sparkPropertiesDigest: string): { metadata: Record<string, unknown>; spec: Record<string, unknown> } {
  const { driver, spec } = app;
  // Staging only when there is something to stage.
  const staging = spec.staging && app.dependencies.staged.length ? spec.staging : undefined;
  const memory = `${driverContainerMemoryMiB(app)}Mi`;
  const push = metricsPushEnabled(spec.monitoring) ? spec.monitoring.pushgateway : undefined;
  const cpuRequest = driver.coreRequest ?? String(driver.cores);
  const sparkContainer = compact({
    name: DRIVER_CONTAINER_NAME,
    image: app.image,
    imagePullPolicy: spec.imagePullPolicy ?? 'IfNotPresent',
    args: driverArguments(app),
    env: [
      { name: 'SPARK_DRIVER_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      // The image's entrypoint binds the driver to this address.
      { name: 'SPARK_DRIVER_BIND_ADDRESS', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      ...(app.allocator ? allocatorDriverEnv() : []),
      ...(app.shuffleService ? shuffleDriverEnv() : []),
      ...sparkContainerEnv(driver),
    ],
    envFrom: sparkContainerEnvFrom(driver),
    ports: [
      { name: 'driver-rpc', containerPort: driver.port, protocol: 'TCP' },
      { name: 'blockmanager', containerPort: driver.blockManagerPort, protocol: 'TCP' },
      { name: 'spark-ui', containerPort: driver.uiPort, protocol: 'TCP' },
    ],
    resources: {
      requests: compact({ 'cpu': cpuRequest, 'memory': memory, 'ephemeral-storage': driver.ephemeralStorage }),
      limits: compact({ 'cpu': driver.coreLimit, 'memory': memory, 'ephemeral-storage': driver.ephemeralStorage }),
    },
    volumeMounts: sparkContainerMounts(driver, [
      { name: 'spark-conf', mountPath: CONF_MOUNT_PATH, readOnly: true },
      ...(app.allocator ? allocatorDriverMounts() : []),
      ...(staging ? [stagedFilesMount()] : []),
      ...(push ? [finalReportDriverMount()] : []),
    ]),
    securityContext: sparkContainerSecurityContext(driver),
  });

  return {
    metadata: {
      labels: { ...applicationLabels(app.name, { ...spec.labels, ...driver.labels }, 'driver'), ...driverSelector(app) },
      annotations: {
        ...driver.annotations,
        // Pushed series are not scraped too: they would be counted twice.
        ...(prometheusEnabled(spec.monitoring) && !push ? driverMetricsAnnotations(driver.uiPort) : {}),
        [SPARK_CONF_DIGEST_ANNOTATION]: sparkPropertiesDigest,
      },
    },
    spec: compact({
      serviceAccountName: app.serviceAccountName,
      automountServiceAccountToken: true,
      enableServiceLinks: false,
      restartPolicy: 'Never',
      ...podPlacementAndSecurity(driver),
      ...podPlacementFields({ imagePullSecrets: spec.imagePullSecrets }),
      initContainers: nonEmptyList([
        ...(staging ? [fetchStagedContainer(staging, app.namespace, app.dependencies.staged)] : []),
        ...(extraContainers(driver.initContainers, app.image) ?? []),
        ...(app.allocator ? allocatorInitContainers(app.allocator) : []),
        ...(push ? [metricsPushContainer(push, app.name, driver.uiPort)] : []),
      ]),
      containers: [sparkContainer, ...(extraContainers(driver.sidecars, app.image) ?? [])],
      volumes: [
        { name: 'spark-conf', configMap: { name: app.names.configMap } },
        ...scratchVolumes(),
        ...(app.allocator ? allocatorVolumes() : []),
        ...(staging ? stagingVolumes(staging, app.dependencies.staged) : []),
        ...(push ? [finalReportVolume()] : []),
        ...(spec.volumes ?? []),
      ],
    }),
  };
}

/** The driver's Job, which runs `driverPodTemplate` and retries it. */
export function renderDriverJob(app: ResolvedSparkApplication, sparkPropertiesDigest: string): KubeObject {
  const { driver, spec } = app;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: app.names.driver, namespace: app.namespace, labels: applicationLabels(app.name, spec.labels, 'driver') },
    spec: compact({
      backoffLimit: driver.retries ?? 3,
      activeDeadlineSeconds: driver.deadlineSeconds,
      ttlSecondsAfterFinished: driver.ttlSecondsAfterFinished,
      // Start a replacement only once the old driver pod is gone: never two drivers at once.
      podReplacementPolicy: 'Failed',
      podFailurePolicy: {
        rules: [
          // A disruption (node loss, eviction, preemption) is not the application's fault: retry without counting it.
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
        ],
      },
      template: driverPodTemplate(app, sparkPropertiesDigest),
    }),
  };
}

function nonEmptyList<T>(list: T[]): T[] | undefined {
  return list.length ? list : undefined;
}

/** SHA-256 of a text, hex. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
