// What the driver pod and the executor pod template share: placement, environment, scratch
// volumes, sidecars and security. One function each, so the two pods cannot drift apart.
import { compact } from '../compact';
import type { KubeContainer, KubeEnvVar, KubeVolumeMount } from '../kube-objects';
import { containerSecurityContext, restrictedPodSecurityContext, withRestrictedDefaults } from '../pod-security';
import { SCRATCH_VOLUMES } from './layout';
import type { SparkPodSpec } from './spec';


/** Pod-level fields from the user's placement props and the restricted pod security context. */
export function podPlacementAndSecurity(pod: SparkPodSpec): Record<string, unknown> {
  return compact({
    securityContext: restrictedPodSecurityContext(),
    nodeSelector: nonEmpty(pod.nodeSelector),
    tolerations: pod.tolerations?.length ? pod.tolerations : undefined,
    affinity: pod.affinity,
    priorityClassName: pod.priorityClassName,
  });
}

/** Environment of a Spark container: literal variables, then Secret-backed ones, in the order given. */
export function sparkContainerEnv(pod: SparkPodSpec): KubeEnvVar[] {
  return [
    ...Object.entries(pod.env ?? {}).map(([name, value]) => ({ name, value })),
    ...Object.entries(pod.secretEnv ?? {}).map(([name, ref]) => ({
      name,
      valueFrom: { secretKeyRef: { name: ref.secretName, key: ref.key } },
    })),
  ];
}

/** `envFrom` of a Spark container: the whole Secrets the user exposes. */
export function sparkContainerEnvFrom(pod: SparkPodSpec): Array<Record<string, unknown>> | undefined {
  return pod.envFromSecrets?.length ? pod.envFromSecrets.map((name) => ({ secretRef: { name } })) : undefined;
}

/** The scratch emptyDirs, as volumes of the pod. */
export function scratchVolumes(): Array<Record<string, unknown>> {
  return SCRATCH_VOLUMES.map(({ name }) => ({ name, emptyDir: {} }));
}

/** Mounts of the scratch emptyDirs and the user's volumes into a Spark container. */
export function sparkContainerMounts(pod: SparkPodSpec, extra: KubeVolumeMount[] = []): KubeVolumeMount[] {
  return [...extra, ...SCRATCH_VOLUMES.map(({ name, mountPath }) => ({ name, mountPath })), ...(pod.volumeMounts ?? [])];
}

/** The Spark container's security context: restricted, with the user's fields merged over it. */
export function sparkContainerSecurityContext(pod: SparkPodSpec) {
  return containerSecurityContext(pod.securityContext);
}

/** Init containers and sidecars with restricted defaults (the image defaults to the Spark image). */
export function extraContainers(containers: readonly KubeContainer[] | undefined, image: string): KubeContainer[] | undefined {
  if (!containers?.length) return undefined;
  return withRestrictedDefaults(containers.map((container) => ({ ...container, image: container.image ?? image })));
}

function nonEmpty<T extends Record<string, unknown>>(record: T | undefined): T | undefined {
  return record && Object.keys(record).length > 0 ? record : undefined;
}
