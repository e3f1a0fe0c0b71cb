// Plain Kubernetes shapes, as the core reads and writes them. They are structural (JSON as the API
// server takes it) and framework-free, so the cdk8s and Pulumi front ends can emit them unchanged.

/** A rendered Kubernetes object: what `kubectl apply` would take. */
export interface KubeObject {
  /** API group and version, e.g. `batch/v1`. */
  readonly apiVersion: string;
  /** Object kind, e.g. `Job`. */
  readonly kind: string;
  /** Name, namespace, labels and annotations. */
  readonly metadata: KubeObjectMeta;
  /** The kind-specific body (`spec`, `data`, `rules`, ...). */
  readonly [field: string]: unknown;
}

/** Object metadata. */
export interface KubeObjectMeta {
  /** Object name. */
  readonly name: string;
  /** Namespace; absent for cluster-scoped objects. @default - cluster-scoped */
  readonly namespace?: string;
  /** Labels. @default - none */
  readonly labels?: Record<string, string>;
  /** Annotations. @default - none */
  readonly annotations?: Record<string, string>;
}

/** An environment variable of a container, in the Kubernetes shape. */
export interface KubeEnvVar {
  /** Variable name. */
  readonly name: string;
  /** Literal value. @default - from `valueFrom` */
  readonly value?: string;
  /** Source of the value (secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef). @default - the literal `value` */
  readonly valueFrom?: Record<string, unknown>;
}

/** A volume of a pod, in the Kubernetes shape. Exactly one source must be set. */
export interface KubeVolume {
  /** Volume name, referenced by mounts. */
  readonly name: string;
  /** A ConfigMap's keys as files. @default - not this source */
  readonly configMap?: { readonly name: string; readonly items?: ReadonlyArray<{ readonly key: string; readonly path: string }>; readonly defaultMode?: number; readonly optional?: boolean };
  /** A Secret's keys as files. @default - not this source */
  readonly secret?: { readonly secretName: string; readonly items?: ReadonlyArray<{ readonly key: string; readonly path: string }>; readonly defaultMode?: number; readonly optional?: boolean };
  /** An existing PersistentVolumeClaim. @default - not this source */
  readonly persistentVolumeClaim?: { readonly claimName: string; readonly readOnly?: boolean };
  /** Scratch space that lives as long as the pod. @default - not this source */
  readonly emptyDir?: { readonly medium?: string; readonly sizeLimit?: string };
  /** A directory of the node. Not allowed by the "restricted" and "baseline" Pod Security profiles. @default - not this source */
  readonly hostPath?: { readonly path: string; readonly type?: string };
}

/** A volume mount of a container, in the Kubernetes shape. */
export interface KubeVolumeMount {
  /** Name of a volume of the pod. */
  readonly name: string;
  /** Where it appears in the container. */
  readonly mountPath: string;
  /** Mount read-only. @default false */
  readonly readOnly?: boolean;
  /** Mount a sub-path of the volume. @default - the whole volume */
  readonly subPath?: string;
}

/** A toleration, in the Kubernetes shape. */
export interface KubeToleration {
  /** Taint key; empty with operator Exists matches every taint. @default - all keys */
  readonly key?: string;
  /** `Equal` or `Exists`. @default "Equal" */
  readonly operator?: 'Equal' | 'Exists';
  /** Taint value to match with `Equal`. @default - none */
  readonly value?: string;
  /** `NoSchedule`, `PreferNoSchedule` or `NoExecute`. @default - all effects */
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  /** For NoExecute: how long the pod stays bound after the taint appears. @default - forever */
  readonly tolerationSeconds?: number;
}

/** Pod affinity rules, in the Kubernetes shape (passed through unchanged). */
export interface KubeAffinity {
  /** Node affinity. @default - none */
  readonly nodeAffinity?: Record<string, unknown>;
  /** Pod affinity. @default - none */
  readonly podAffinity?: Record<string, unknown>;
  /** Pod anti-affinity. @default - none */
  readonly podAntiAffinity?: Record<string, unknown>;
}

/** A container security context, in the Kubernetes shape. */
export interface KubeSecurityContext {
  /** UID of the process. @default 185 for Spark containers */
  readonly runAsUser?: number;
  /** GID of the process. @default 185 for Spark containers */
  readonly runAsGroup?: number;
  /** Refuse to start as root. @default true */
  readonly runAsNonRoot?: boolean;
  /** Allow setuid binaries to gain privileges. @default false */
  readonly allowPrivilegeEscalation?: boolean;
  /** Privileged mode. @default false */
  readonly privileged?: boolean;
  /** Read-only root filesystem (Spark's scratch paths are emptyDirs). @default true */
  readonly readOnlyRootFilesystem?: boolean;
  /** Linux capabilities. @default { drop: ["ALL"] } */
  readonly capabilities?: { readonly add?: readonly string[]; readonly drop?: readonly string[] };
  /** Seccomp profile. @default { type: "RuntimeDefault" } */
  readonly seccompProfile?: { readonly type: string; readonly localhostProfile?: string };
}

/** A container (init container or sidecar), in the Kubernetes shape; fields not listed pass through unchanged. */
export interface KubeContainer {
  /** Container name, unique in the pod. */
  readonly name: string;
  /** Image. @default - the application's Spark image */
  readonly image?: string;
  /** Entrypoint. @default - the image's */
  readonly command?: readonly string[];
  /** Arguments. @default - the image's */
  readonly args?: readonly string[];
  /** Environment. @default - none */
  readonly env?: readonly KubeEnvVar[];
  /** Resource requests and limits. @default - none */
  readonly resources?: { readonly requests?: Record<string, string>; readonly limits?: Record<string, string> };
  /** Volume mounts. @default - none */
  readonly volumeMounts?: readonly KubeVolumeMount[];
  /** Security context, merged over the restricted default. @default - restricted */
  readonly securityContext?: KubeSecurityContext;
  /** Any other Container field (ports, probes, workingDir, ...), passed through. */
  readonly [field: string]: unknown;
}

/**
 * An id per object, unique within one component: `<kind>-<name>`, and `<kind>-<name>-<namespace>`
 * where one component renders that kind and name in several namespaces (the shuffle janitor's
 * RoleBindings). Both front ends name their children with it.
 */
export function objectIds(objects: readonly KubeObject[]): string[] {
  const base = objects.map((object) => `${object.kind}-${object.metadata.name}`);
  return base.map((id, i) => (base.indexOf(id) !== base.lastIndexOf(id) ? `${id}-${objects[i].metadata.namespace}` : id));
}
