// The executor pod template (spark.kubernetes.executor.podTemplateFile). Spark stamps every executor
// pod from it, then adds what it owns: image, command, resources for CPU and memory, its labels, the
// owner reference to the driver pod and the local-dir volumes.
import { EXECUTOR_CONTAINER_NAME } from './layout';
import { applicationLabels, SPARK_ROLE_LABEL } from './naming';
import type { ResolvedSparkApplication } from './resolve';
import { compact } from '../compact';
import { shuffleExecutorMount, shuffleExecutorPodFields, shuffleExecutorVolume } from '../shuffle-service/application-wiring';
import {
  extraContainers, podPlacementAndSecurity, scratchVolumes, sparkContainerEnv, sparkContainerEnvFrom,
  sparkContainerMounts, sparkContainerSecurityContext,
} from './spark-pod';

/** The executor pod template of an application, as a Pod object. */
export function renderExecutorPodTemplate(app: ResolvedSparkApplication): Record<string, unknown> {
  const { executor, spec, shuffleService } = app;
  const sparkContainer = compact({
    name: EXECUTOR_CONTAINER_NAME,
    env: nonEmptyArray(sparkContainerEnv(executor)),
    envFrom: sparkContainerEnvFrom(executor),
    // Spark sets the CPU and memory requests itself; it keeps what else the template asks for.
    resources: executor.ephemeralStorage
      ? { requests: { 'ephemeral-storage': executor.ephemeralStorage }, limits: { 'ephemeral-storage': executor.ephemeralStorage } }
      : undefined,
    volumeMounts: sparkContainerMounts(executor, shuffleService ? [shuffleExecutorMount(shuffleService)] : []),
    securityContext: sparkContainerSecurityContext(executor),
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: compact({
      labels: { ...applicationLabels(app.name, { ...spec.labels, ...executor.labels }, 'executor'), [SPARK_ROLE_LABEL]: 'executor' },
      annotations: executor.annotations && Object.keys(executor.annotations).length ? executor.annotations : undefined,
    }),
    spec: compact({
      // Executors never call the Kubernetes API: no token in their pods.
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      ...podPlacementAndSecurity(executor),
      ...(shuffleService ? shuffleExecutorPodFields(shuffleService, executor.nodeSelector) : {}),
      initContainers: extraContainers(executor.initContainers, app.image),
      containers: [sparkContainer, ...(extraContainers(executor.sidecars, app.image) ?? [])],
      volumes: [...scratchVolumes(), ...(shuffleService ? [shuffleExecutorVolume(shuffleService)] : []), ...(spec.volumes ?? [])],
    }),
  };
}

function nonEmptyArray<T>(items: T[]): T[] | undefined {
  return items.length ? items : undefined;
}
