// The one kind of NetworkPolicy the components render: ingress rules for the pods of one selector.
import type { KubeObject, KubeObjectMeta } from './kube-objects';

/** One ingress rule: from these peers (anyone when absent) to these ports. */
export interface IngressRule {
  /** The peers admitted. @default - any source */
  readonly from?: ReadonlyArray<Record<string, unknown>>;
  /** The ports they may reach. */
  readonly ports: ReadonlyArray<{ readonly port: number; readonly protocol: 'TCP' }>;
}

/** A NetworkPolicy admitting only `ingress` to the pods `podLabels` selects. */
export function ingressNetworkPolicy(metadata: KubeObjectMeta, podLabels: Record<string, string>, ingress: readonly IngressRule[]): KubeObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata, spec: { podSelector: { matchLabels: podLabels }, policyTypes: ['Ingress'], ingress } };
}
