// The placement fields of a pod that a component's props give directly: where it may run and which
// Secrets pull its images. Empty props render nothing, so a manifest carries no empty lists.
import type { KubeToleration } from './kube-objects';

/** Props that place a component's pod. */
export interface PodPlacementProps {
  /** Nodes the pod may run on. @default - any node */
  readonly nodeSelector?: Record<string, string>;
  /** Tolerations of the pod. @default - none */
  readonly tolerations?: readonly KubeToleration[];
  /** Names of Secrets used to pull the pod's images. @default - none */
  readonly imagePullSecrets?: readonly string[];
}

/** The pod spec fields of `props`: only the non-empty ones (spread them into a pod spec). */
export function podPlacementFields(props: PodPlacementProps): Record<string, unknown> {
  return {
    ...(props.nodeSelector && Object.keys(props.nodeSelector).length ? { nodeSelector: props.nodeSelector } : {}),
    ...(props.tolerations?.length ? { tolerations: props.tolerations } : {}),
    ...(props.imagePullSecrets?.length ? { imagePullSecrets: props.imagePullSecrets.map((name) => ({ name })) } : {}),
  };
}
