// Executor pods as the sidecar sees them: the few facts it decides on, read from the pods' wire JSON
// (never re-serialized through a client's model classes, which would drop fields newer than the
// client), and the pod it creates from what the bridge minted.
import type { KubeJson, MintedExecutor } from '../core/allocator/protocol';
import { parseKubeQuantity } from '../core/quantity';
import { podsThatFit } from './batch-policy';

/** Spark's executor labels (Constants.scala: SPARK_APP_ID_LABEL, SPARK_ROLE_LABEL, SPARK_EXECUTOR_ID_LABEL, …). */
export const SPARK_LABELS = {
  appId: 'spark-app-selector',
  role: 'spark-role',
  executorId: 'spark-exec-id',
  resourceProfileId: 'spark-exec-resourceprofile-id',
  inactive: 'spark-exec-inactive',
} as const;

/** Annotation the sidecar puts on the pods it creates: the mint request they answer. */
export const CREATED_BY_ANNOTATION = 'sparkplane.dev/allocator-request';

/** The facts of one executor pod the allocator decides on. */
export interface ExecutorPodState {
  readonly name: string;
  readonly uid: string;
  readonly executorId: string;
  readonly resourceProfileId: number;
  readonly phase: string;
  /** A deletion is under way (deletionTimestamp set). */
  readonly deleting: boolean;
  /** Spark marked it inactive (`spark-exec-inactive=true`, kept for debugging with deleteOnTermination=false). */
  readonly inactive: boolean;
  /** Creation time, ms since the epoch. */
  readonly createdAt: number;
  /** The driver pod UID it is owned by, if any. */
  readonly ownerUid: string | undefined;
}

type Meta = { name?: string; uid?: string; labels?: Record<string, string>; deletionTimestamp?: string; creationTimestamp?: string; ownerReferences?: Array<{ uid?: string }> };

/** The state of an executor pod from its JSON. */
export function executorPodState(pod: KubeJson): ExecutorPodState {
  const meta = (pod.metadata ?? {}) as Meta;
  const labels = meta.labels ?? {};
  const status = (pod.status ?? {}) as { phase?: string };
  return {
    name: meta.name ?? '',
    uid: meta.uid ?? '',
    executorId: labels[SPARK_LABELS.executorId] ?? '',
    resourceProfileId: Number(labels[SPARK_LABELS.resourceProfileId] ?? 0),
    phase: status.phase ?? 'Pending',
    deleting: meta.deletionTimestamp !== undefined,
    inactive: labels[SPARK_LABELS.inactive] === 'true',
    createdAt: meta.creationTimestamp ? Date.parse(meta.creationTimestamp) : Date.now(),
    ownerUid: meta.ownerReferences?.[0]?.uid,
  };
}

/** Whether the pod still counts as a requested executor: not finished, not being deleted, not inactive. */
export function isLive(pod: ExecutorPodState): boolean {
  return !pod.deleting && !pod.inactive && pod.phase !== 'Succeeded' && pod.phase !== 'Failed';
}

/**
 * The pod to create for a minted executor: Spark's pod with its executor container appended (as
 * Spark's own allocator does), marked with the mint request it answers.
 */
export function executorPodToCreate(minted: MintedExecutor): KubeJson {
  const pod = minted.pod as { metadata?: Record<string, unknown> & { annotations?: Record<string, string> }; spec?: Record<string, unknown> & { containers?: unknown[] } };
  return {
    ...pod,
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...pod.metadata, annotations: { ...pod.metadata?.annotations, [CREATED_BY_ANNOTATION]: minted.request } },
    spec: { ...pod.spec, containers: [...(pod.spec?.containers ?? []), minted.container] },
  };
}

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };
type Container = { resources?: Resources };

/**
 * What one pod counts against a ResourceQuota, keyed by quota resource name: the pod itself, and
 * its effective requests and limits (the larger of the containers' sum and any init container, as
 * the quota admission plugin computes them). Requests default to limits, as the API server does.
 */
export function quotaFootprint(pod: KubeJson): Record<string, number> {
  const spec = (pod.spec ?? {}) as { containers?: Container[]; initContainers?: Container[] };
  const footprint: Record<string, number> = { 'pods': 1, 'count/pods': 1 };
  for (const kind of ['requests', 'limits'] as const) {
    const amounts = (container: Container) => ({ ...(kind === 'requests' ? container.resources?.limits : {}), ...container.resources?.[kind] });
    const sum: Record<string, number> = {};
    for (const container of spec.containers ?? []) {
      for (const [resource, quantity] of Object.entries(amounts(container))) sum[resource] = (sum[resource] ?? 0) + (parseKubeQuantity(quantity) ?? 0);
    }
    for (const container of spec.initContainers ?? []) {
      for (const [resource, quantity] of Object.entries(amounts(container))) sum[resource] = Math.max(sum[resource] ?? 0, parseKubeQuantity(quantity) ?? 0);
    }
    for (const [resource, amount] of Object.entries(sum)) {
      footprint[`${kind}.${resource}`] = amount;
      // The bare names "cpu" and "memory" in a quota mean requests.
      if (kind === 'requests' && (resource === 'cpu' || resource === 'memory' || resource === 'ephemeral-storage')) footprint[resource] = amount;
    }
  }
  return footprint;
}

/**
 * How many more pods of this footprint the namespace's ResourceQuotas admit (their status: hard
 * less used), or undefined when no quota limits anything the pod uses. Quotas with scopes are
 * counted as if they applied: at worst the allocator is too careful, never refused.
 */
export function quotaRoom(quotas: readonly KubeJson[], footprint: Readonly<Record<string, number>>): number | undefined {
  let room: number | undefined;
  for (const quota of quotas) {
    const status = (quota.status ?? {}) as { hard?: Record<string, string>; used?: Record<string, string> };
    const left: Record<string, number> = {};
    for (const [resource, hard] of Object.entries(status.hard ?? {})) {
      left[resource] = (parseKubeQuantity(hard) ?? 0) - (parseKubeQuantity(status.used?.[resource] ?? '0') ?? 0);
    }
    const fit = podsThatFit(footprint, left);
    if (fit !== undefined) room = room === undefined ? fit : Math.min(room, fit);
  }
  return room;
}
