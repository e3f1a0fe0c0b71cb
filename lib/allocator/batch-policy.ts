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

/**
 * How many more pods of footprint `pod` fit in `room` (a ResourceQuota's hard limits less what is
 * used), both keyed by quota resource name ("pods", "requests.cpu", "limits.memory", …, in cores and
 * bytes), or undefined when the quota limits nothing the pod asks for.
 */
export function podsThatFit(pod: Readonly<Record<string, number>>, room: Readonly<Record<string, number>>): number | undefined {
  let fit: number | undefined;
  for (const [resource, left] of Object.entries(room)) {
    const need = pod[resource];
    if (!need) continue;
    const pods = Math.max(0, Math.floor(left / need + 1e-9));
    fit = fit === undefined ? pods : Math.min(fit, pods);
  }
  return fit;
}
