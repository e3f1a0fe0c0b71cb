// The allocator's decision, as a pure function of what it observes. This is the batch algorithm of
// the 2017 design: keep the executors Spark *expects*, the pods already *requested* and the
// executors that *registered*; each round, wait while requested pods are still starting, do nothing
// at the target, else request the next batch. On top: never past maxExecutors, never past what the
// namespace's ResourceQuota can still admit, and no new pods while some sit Pending past a deadline
// (the cluster is out of room; more pods would only queue).

/** What the allocator observes at the start of a round. */
export interface AllocatorObservation {
  /** Executors Spark wants now (dynamic allocation's target). */
  readonly expected: number;
  /** Executor pods that exist and are not finished (Pending or Running). */
  readonly requested: number;
  /** Executors registered with the driver. */
  readonly registered: number;
  /** Requested pods still Pending. */
  readonly pending: number;
  /** Pending pods older than the pending deadline. */
  readonly pendingPastDeadline: number;
  /** Pods the namespace's ResourceQuota can still admit (from its hard limits less used, per resource). @default - unlimited */
  readonly quotaRoom?: number;
}

/** The allocator's fixed settings. */
export interface BatchPolicy {
  /** Most pods requested in one round (`spark.kubernetes.allocation.batch.size`). */
  readonly batchSize: number;
  /** Most executor pods that may exist at once. */
  readonly maxExecutors: number;
}

/** What to do this round. */
export interface AllocatorDecision {
  /** Executor pods to create now. */
  readonly create: number;
  /** Why: one of the rule names, for logs and metrics. */
  readonly reason: 'starting' | 'at-target' | 'pending-past-deadline' | 'at-max' | 'no-quota-room' | 'batch';
}

/** Decides one round. */
export function decideBatch(observed: AllocatorObservation, policy: BatchPolicy): AllocatorDecision {
  if (observed.registered < observed.requested) return { create: 0, reason: 'starting' };
  if (observed.expected <= observed.registered) return { create: 0, reason: 'at-target' };
  if (observed.pendingPastDeadline > 0) return { create: 0, reason: 'pending-past-deadline' };
  const roomUnderMax = policy.maxExecutors - observed.requested;
  if (roomUnderMax <= 0) return { create: 0, reason: 'at-max' };
  const quotaRoom = observed.quotaRoom ?? Number.POSITIVE_INFINITY;
  if (quotaRoom <= 0) return { create: 0, reason: 'no-quota-room' };
  return { create: Math.min(observed.expected - observed.registered, policy.batchSize, roomUnderMax, quotaRoom), reason: 'batch' };
}

/** Resource figures of one pod and of a quota's remaining room, in plain numbers (cores, bytes, count). */
export interface ResourceAmounts {
  /** CPU, in cores. @default - not limited */
  readonly cpu?: number;
  /** Memory, in bytes. @default - not limited */
  readonly memory?: number;
  /** Pods. @default - not limited */
  readonly pods?: number;
}

/**
 * How many more pods of size `pod` fit in `room` (a ResourceQuota's hard limits less what is used),
 * or undefined when the quota limits none of what the pod asks for.
 */
export function podsThatFit(pod: ResourceAmounts, room: ResourceAmounts): number | undefined {
  const limits: number[] = [];
  if (room.pods !== undefined) limits.push(Math.floor(room.pods));
  if (room.cpu !== undefined && pod.cpu) limits.push(Math.floor(room.cpu / pod.cpu));
  if (room.memory !== undefined && pod.memory) limits.push(Math.floor(room.memory / pod.memory));
  return limits.length ? Math.max(0, Math.min(...limits)) : undefined;
}
