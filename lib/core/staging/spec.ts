// The staging server: holds an application's local jars and files, by SHA-256, so the driver can
// fetch them without an object store (docs/staging-server-research.md). Files are uploaded with
// `sparkplane stage` (or by `pulumi up`) through the API server's service proxy, and the driver's
// fetch-staged init container downloads them with a read token before Spark starts.
import type { KubeToleration } from '../kube-objects';

/** A peer allowed to reach the staging server, as in a NetworkPolicy rule. */
export interface StagingNetworkPeer {
  /** An address block, e.g. "10.0.0.0/24". @default - not this kind of peer */
  readonly cidr?: string;
  /** Pods with these labels, in the server's namespace (or in the namespaces `namespaceLabels` selects). @default - not this kind of peer */
  readonly podLabels?: Record<string, string>;
  /** Namespaces with these labels. @default - the server's own namespace, with podLabels */
  readonly namespaceLabels?: Record<string, string>;
}

/** What an application needs to know of a staging server to fetch from it. */
export interface StagingServerRef {
  /** Name of the server's Service; its tokens Secret is `<name>-tokens`. @default "staging-server" */
  readonly name?: string;
  /** Namespace of the server; an application's must be its own (the read token's Secret is there). @default "default" for a server; the application's namespace for a reference */
  readonly namespace?: string;
  /** The sparkplane image, which holds the driver's fetch-staged init container (images/README.md). */
  readonly image: string;
  /** Pull policy of the sparkplane image. @default "IfNotPresent" */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
}

/** The staging server: a Deployment on a PersistentVolumeClaim, in the namespace of the applications it serves. */
export interface StagingServerSpec extends StagingServerRef {
  /** Names of Secrets used to pull the image. @default - none */
  readonly imagePullSecrets?: readonly string[];
  /** Size of the PersistentVolumeClaim that holds the files, a Kubernetes quantity. @default "20Gi" */
  readonly storageSize?: string;
  /** Storage class of the claim. @default - the cluster's default class */
  readonly storageClassName?: string;
  /** Largest file accepted, a Kubernetes quantity. @default "2Gi" */
  readonly maxFileSize?: string;
  /** Delete a file nobody has uploaded or fetched for this long, a Spark duration. @default "7d" */
  readonly retention?: string;
  /**
   * Where the API server's service proxy connects from, for the NetworkPolicy: `sparkplane stage`
   * uploads through it. Usually the control plane's addresses (`kubectl get endpoints kubernetes -n
   * default`); the server logs each upload's source address to confirm.
   */
  readonly apiServerPeers: readonly StagingNetworkPeer[];
  /** Who may scrape /metrics (port 7081), e.g. Prometheus' pods. @default - nobody beyond the kubelet's probes */
  readonly metricsPeers?: readonly StagingNetworkPeer[];
  /** Subjects bound to the uploader Role (read the upload token, use the service proxy), e.g. a CI ServiceAccount. @default - none: bind the `<name>-uploader` Role yourself */
  readonly uploaders?: ReadonlyArray<{ readonly kind: 'User' | 'Group' | 'ServiceAccount'; readonly name: string; readonly namespace?: string }>;
  /** Nodes the server may run on. @default - any node */
  readonly nodeSelector?: Record<string, string>;
  /** Tolerations of the server's pod. @default - none */
  readonly tolerations?: readonly KubeToleration[];
  /** CPU request. @default "100m" */
  readonly cpuRequest?: string;
  /** Memory request and limit. @default "256Mi" */
  readonly memory?: string;
  /** Labels added to every rendered object. @default - none */
  readonly labels?: Record<string, string>;
}
