// The one kind of NetworkPolicy the components render: ingress rules for the pods of one selector,
// from peers given in the specs' shape.
import { compact } from './compact';
import type { KubeObject, KubeObjectMeta } from './kube-objects';
import type { StagingNetworkPeer } from './staging/spec';

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

/** A NetworkPolicy peer from the spec's shape. */
export function networkPolicyPeer(peer: StagingNetworkPeer): Record<string, unknown> {
  if (peer.cidr) return { ipBlock: { cidr: peer.cidr } };
  return compact({
    podSelector: peer.podLabels ? { matchLabels: peer.podLabels } : undefined,
    namespaceSelector: peer.namespaceLabels ? { matchLabels: peer.namespaceLabels } : undefined,
  });
}
