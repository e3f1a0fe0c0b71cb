// The allocator's controller: it keeps what the bridge says (Spark's targets and registered
// executors) and what the API server says (the driver's executor pods, the namespace's quotas), and
// after every change runs one round of the batch policy. It knows no Kubernetes client: pod events
// come in through its methods and writes go out through ExecutorPodWrites, so the same class runs
// against the real API server (kube-client.ts) and in unit tests.
//
// Counts come from the API, never from memory alone: `requested` is the live pods listed and watched
// plus the creations in flight and the mint requests the bridge has not answered yet. A restarted
// sidecar relists and knows everything that exists; a create whose answer was lost is retried with
// the same pod name, so it can end in 409 AlreadyExists but never in a second pod.
import { randomBytes } from 'crypto';
import {
  ALLOCATOR_PROTOCOL_VERSION,
  SYNC_HOLD_MS,
  SYNC_STALE_MS,
  type BridgeHello,
  type BridgeSync,
  type BridgeSyncReply,
  type KubeJson,
  type MintedExecutor,
} from '../core/allocator/protocol';
import { decideBatch } from './batch-policy';
import type { AllocatorConfig } from './config';
import { executorPodState, executorPodToCreate, isLive, quotaFootprint, quotaRoom, type ExecutorPodState } from './executor-pods';
import type { AllocatorMetrics } from './metrics';
import type { Logger } from './logger';

/** A refused API call, with the HTTP status and the Status object's reason. */
export class KubeApiError extends Error {
  constructor(readonly status: number, readonly reason: string, message: string) {
    super(message);
    this.name = 'KubeApiError';
  }
}

/** The writes the allocator makes. */
export interface ExecutorPodWrites {
  /** Creates a pod; resolves to the created pod. Rejects with KubeApiError when refused. */
  createPod(pod: KubeJson): Promise<KubeJson>;
  /** Creates another object Spark built for an executor (an on-demand PersistentVolumeClaim). */
  createObject(object: KubeJson): Promise<KubeJson>;
  /** Deletes a pod by name; a pod already gone is not an error. */
  deletePod(name: string): Promise<void>;
}

/** Why the sidecar deleted a pod. */
export type DeleteReason = 'pending-timeout' | 'excess' | 'failed';

interface OpenMint {
  readonly request: string;
  readonly resourceProfileId: number;
  readonly count: number;
  readonly openedAt: number;
  /** When it last went out in a sync reply; 0 when not yet. */
  sentAt: number;
}

interface BridgeState {
  readonly hello: BridgeHello;
  targets: Map<number, number>;
  registered: Set<string>;
  lastSyncAt: number;
  lastSeq: number;
}

/** A mint request the bridge has not answered after this long is dropped (its IDs, if minted later, are burnt). */
const MINT_EXPIRY_MS = 5000;
/** A mint request is sent again if unanswered after this long (a lost reply). */
const MINT_RESEND_MS = 1000;
const CREATE_RETRY_CAP_MS = 5000;

/** The controller. */
export class ExecutorAllocator {
  private bridge: BridgeState | undefined;
  private stopped = false;
  private driverGone = false;
  private readonly pods = new Map<string, ExecutorPodState>();
  /** Pods known from a create response, kept across a relist that started before they existed. */
  private readonly createdAt = new Map<string, number>();
  private readonly creating = new Map<string, number>();
  private readonly failedSince = new Map<string, number>();
  private readonly openMints = new Map<string, OpenMint>();
  private readonly deletedBeforeRegistration = new Set<string>();
  private readonly footprints = new Map<number, Record<string, number>>();
  private quotas: readonly KubeJson[] = [];
  /** A create was refused for quota: no creations until a quota changes. */
  private quotaBlocked = false;
  private podsSynced = false;
  private lastCreateRoundAt = Number.NEGATIVE_INFINITY;
  private mintCounter = 0;
  /** Request IDs start with it: a restarted sidecar's requests never look like ones the bridge already answered. */
  private readonly instance = randomBytes(4).toString('hex');
  private roundQueued = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private readonly syncWaiters = new Set<() => void>();

  constructor(
    private readonly config: AllocatorConfig,
    private readonly writes: ExecutorPodWrites,
    private readonly metrics: AllocatorMetrics,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  // ---- the bridge ----

  /** `POST /v1/hello`. Throws on a protocol mismatch. */
  hello(hello: BridgeHello): void {
    if (hello.protocol !== ALLOCATOR_PROTOCOL_VERSION) {
      throw new KubeApiError(400, 'ProtocolMismatch', `bridge speaks protocol ${hello.protocol}, this sidecar ${ALLOCATOR_PROTOCOL_VERSION}: use the bridge jar from the same image`);
    }
    if (this.bridge?.hello.bridgeId === hello.bridgeId) return;
    const newApp = this.bridge?.hello.appId !== hello.appId;
    this.bridge = { hello, targets: new Map(), registered: new Set(), lastSyncAt: this.now(), lastSeq: -1 };
    this.openMints.clear();
    this.stopped = false;
    if (newApp) {
      this.pods.clear();
      this.podsSynced = false;
    }
    this.log.info('bridge connected', { appId: hello.appId, sparkVersion: hello.sparkVersion, driverPod: hello.driverPod?.name });
  }

  /**
   * `POST /v1/sync`: takes the bridge's state and minted pods; answers with open mint requests and
   * deleted IDs, at once when there is news, else after up to SYNC_HOLD_MS (the bridge's poll).
   */
  async sync(sync: BridgeSync): Promise<BridgeSyncReply> {
    const bridge = this.bridge;
    if (!bridge || bridge.hello.bridgeId !== sync.bridgeId) {
      throw new KubeApiError(409, 'UnknownBridge', `bridge ${sync.bridgeId} has not said hello to this sidecar: POST /v1/hello first`);
    }
    const now = this.now();
    bridge.lastSyncAt = now;
    let changed = false;
    if (sync.seq > bridge.lastSeq) {
      bridge.lastSeq = sync.seq;
      const targets = new Map(Object.entries(sync.targets).map(([rp, n]) => [Number(rp), n]));
      if (!sameMap(targets, bridge.targets)) {
        bridge.targets = targets;
        changed = true;
      }
      if (sync.registered.length !== bridge.registered.size || sync.registered.some((id) => !bridge.registered.has(id))) {
        bridge.registered = new Set(sync.registered);
        changed = true;
      }
    }
    for (const [rp, profile] of Object.entries(sync.profiles ?? {})) {
      this.footprints.set(Number(rp), quotaFootprint({ ...profile.pod, spec: { ...(profile.pod.spec as object), containers: [profile.container] } }));
    }
    this.acceptMinted(sync.minted ?? []);
    if (changed || sync.minted?.length) this.scheduleRound();
    if (!this.hasUnsentMint()) await this.waitForNews(SYNC_HOLD_MS);
    return this.syncReply();
  }

  /** `POST /v1/stop`: Spark is stopping; create nothing more. */
  stop(): void {
    this.stopped = true;
    this.openMints.clear();
    this.log.info('bridge stopped the allocator');
  }

  /** Creates the pods minted for open requests; a request is answered whole, in one sync. */
  private acceptMinted(minted: readonly MintedExecutor[]): void {
    const answered = new Set<string>();
    for (const executor of minted) {
      const open = this.openMints.get(executor.request);
      if (!open) {
        this.log.debug('minted pod for a closed request: its executor ID is left unused', { executorId: executor.executorId });
        continue;
      }
      if (!answered.has(executor.request)) {
        answered.add(executor.request);
        this.metrics.mintSeconds.observe((this.now() - open.openedAt) / 1000);
      }
      void this.createExecutor(executor);
    }
    for (const request of answered) this.openMints.delete(request);
  }

  private hasUnsentMint(): boolean {
    const now = this.now();
    for (const mint of this.openMints.values()) if (now - mint.sentAt >= MINT_RESEND_MS) return true;
    return false;
  }

  private syncReply(): BridgeSyncReply {
    const now = this.now();
    const mint = [...this.openMints.values()].map((m) => {
      m.sentAt = now;
      return { request: m.request, resourceProfileId: m.resourceProfileId, count: m.count };
    });
    return { mint, deleted: [...this.deletedBeforeRegistration] };
  }

  private waitForNews(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timeout);
        this.syncWaiters.delete(done);
        resolve();
      };
      const timeout = setTimeout(done, ms);
      this.syncWaiters.add(done);
    });
  }

  private wakeSyncs(): void {
    for (const wake of [...this.syncWaiters]) wake();
  }

  // ---- the API server ----

  /** A full list of the application's executor pods (at start, and after a watch expired). */
  podsListed(items: readonly KubeJson[], listStartedAt: number): void {
    const listed = new Map<string, ExecutorPodState>();
    for (const item of items) {
      const pod = executorPodState(item);
      if (this.owned(pod)) listed.set(pod.name, pod);
    }
    // Keep pods this sidecar created after the list began: the list could not include them yet.
    for (const [name, pod] of this.pods) {
      if (!listed.has(name) && (this.createdAt.get(name) ?? 0) >= listStartedAt) listed.set(name, pod);
    }
    this.pods.clear();
    for (const [name, pod] of listed) this.pods.set(name, pod);
    this.podsSynced = true;
    this.scheduleRound();
  }

  /** One watch event of an executor pod. */
  podEvent(type: 'ADDED' | 'MODIFIED' | 'DELETED', item: KubeJson): void {
    const pod = executorPodState(item);
    if (!this.owned(pod)) return;
    if (type === 'DELETED') {
      this.pods.delete(pod.name);
      this.createdAt.delete(pod.name);
      this.failedSince.delete(pod.name);
    } else {
      this.pods.set(pod.name, pod);
    }
    this.scheduleRound();
  }

  /** The namespace's ResourceQuotas, listed or changed. */
  quotasChanged(quotas: readonly KubeJson[]): void {
    this.quotas = quotas;
    this.quotaBlocked = false;
    this.scheduleRound();
  }

  /** The driver pod is gone or finished: never create again (its executors are garbage-collected with it). */
  driverFinished(reason: string): void {
    if (this.driverGone) return;
    this.driverGone = true;
    this.openMints.clear();
    this.log.info('driver pod finished: creating no more executors', { reason });
  }

  private owned(pod: ExecutorPodState): boolean {
    const driverUid = this.bridge?.hello.driverPod?.uid;
    return driverUid === undefined || pod.ownerUid === driverUid;
  }

  // ---- the round ----

  /** Runs a round soon (once, however many events arrive meanwhile). */
  scheduleRound(): void {
    if (this.roundQueued) return;
    this.roundQueued = true;
    setImmediate(() => {
      this.roundQueued = false;
      this.round();
    });
  }

  private scheduleAt(at: number): void {
    if (at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.round();
    }, Math.max(0, at - this.now()));
    this.timer.unref?.();
  }

  /** Stops the timers (the sidecar is shutting down). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.stopped = true;
    this.wakeSyncs();
  }

  /** One round: delete what must go, then open mint requests for what the batch policy allows. */
  round(): void {
    const started = process.hrtime.bigint();
    const now = this.now();
    const bridge = this.bridge;
    if (!bridge || !this.podsSynced) return;
    const { config } = this;
    for (const [request, mint] of this.openMints) if (now - mint.openedAt > MINT_EXPIRY_MS) this.openMints.delete(request);
    const stale = now - bridge.lastSyncAt > SYNC_STALE_MS;
    const frozen = stale || this.stopped || this.driverGone;
    if (frozen) this.openMints.clear();

    const byProfile = new Map<number, ExecutorPodState[]>();
    for (const pod of this.pods.values()) {
      if (pod.phase === 'Failed' && !pod.deleting && !pod.inactive) this.deleteFailedAfterGrace(pod, now);
      if (!isLive(pod)) continue;
      const list = byProfile.get(pod.resourceProfileId) ?? [];
      list.push(pod);
      byProfile.set(pod.resourceProfileId, list);
    }
    const profiles = new Set([...bridge.targets.keys(), ...byProfile.keys()]);
    const count = (rp: number) => {
      const live = byProfile.get(rp) ?? [];
      const onTheirWay = this.inFlight(rp);
      const unregistered = live.filter((pod) => !bridge.registered.has(pod.executorId));
      return { live, unregistered, requested: live.length + onTheirWay, starting: unregistered.length + onTheirWay };
    };
    let totalRequested = 0;
    let totalPending = 0;
    for (const rp of profiles) {
      const c = count(rp);
      totalRequested += c.requested;
      totalPending += c.starting;
    }
    const pacedUntil = this.lastCreateRoundAt + config.batchDelayMs;
    let created = false;
    let nextWake = Number.POSITIVE_INFINITY;
    for (const rp of profiles) {
      const expected = bridge.targets.get(rp) ?? 0;
      let c = count(rp);
      // Pods Pending past the timeout go, and are requested again below (Spark refuses them if they register late).
      for (const pod of c.unregistered) {
        if (pod.phase !== 'Pending') continue;
        const age = now - pod.createdAt;
        if (age > config.pendingTimeoutMs) this.deletePod(pod, 'pending-timeout');
        else nextWake = Math.min(nextWake, pod.createdAt + config.pendingTimeoutMs + 1, age < config.pendingDeadlineMs ? pod.createdAt + config.pendingDeadlineMs + 1 : Infinity);
      }
      c = count(rp);
      if (c.requested > expected) {
        let excess = c.requested - expected;
        for (const [request, mint] of this.openMints) {
          if (mint.resourceProfileId === rp && mint.count <= excess) {
            this.openMints.delete(request);
            excess -= mint.count;
          }
        }
        // Newest unregistered Pending pods first, as Spark's own allocator does; registered executors are Spark's to kill.
        const candidates = c.unregistered.filter((pod) => pod.phase === 'Pending').sort((a, b) => b.createdAt - a.createdAt);
        for (const pod of candidates.slice(0, excess)) this.deletePod(pod, 'excess');
        c = count(rp);
      }
      const registered = c.live.length - c.unregistered.length;
      const pendingPastDeadline = c.unregistered.filter((pod) => pod.phase === 'Pending' && now - pod.createdAt > config.pendingDeadlineMs).length;
      const footprint = this.footprints.get(rp);
      const room = this.quotaBlocked ? 0 : footprint && this.quotas.length ? quotaRoom(this.quotas, footprint) : undefined;
      const decision = decideBatch(
        { expected, requested: c.requested, registered, pending: c.starting, pendingPastDeadline, quotaRoom: room === undefined ? undefined : room - this.inFlight() },
        { batchSize: config.batchSize, maxExecutors: config.maxExecutors - (totalRequested - c.requested) },
      );
      const create = Math.min(decision.create, config.maxPendingPods - totalPending);
      this.metrics.observeProfile(rp, { expected, requested: c.requested, registered, pending: c.starting });
      if (create <= 0 || frozen) continue;
      if (now < pacedUntil) {
        nextWake = Math.min(nextWake, pacedUntil);
        continue;
      }
      const request = `${this.instance}.${++this.mintCounter}`;
      this.openMints.set(request, { request, resourceProfileId: rp, count: create, openedAt: now, sentAt: 0 });
      totalRequested += create;
      totalPending += create;
      created = true;
      this.log.debug('requesting executors', { resourceProfileId: rp, count: create, expected, requested: c.requested, registered });
    }
    if (created) {
      this.lastCreateRoundAt = now;
      this.wakeSyncs();
    }
    if (!frozen) nextWake = Math.min(nextWake, bridge.lastSyncAt + SYNC_STALE_MS + 1);
    for (const since of this.failedSince.values()) nextWake = Math.min(nextWake, since + config.failedPodGraceMs + 1);
    if (nextWake < Number.POSITIVE_INFINITY) this.scheduleAt(nextWake);
    this.metrics.roundSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
  }

  /**
   * Executors on their way, of one profile or all: creates in flight (a pod already known from the
   * watch is counted there, once) and the pods of open mint requests. Quota status does not count them yet.
   */
  private inFlight(resourceProfileId?: number): number {
    let count = 0;
    for (const [name, profile] of this.creating) if ((resourceProfileId === undefined || profile === resourceProfileId) && !this.pods.has(name)) count++;
    for (const mint of this.openMints.values()) if (resourceProfileId === undefined || mint.resourceProfileId === resourceProfileId) count += mint.count;
    return count;
  }

  private deleteFailedAfterGrace(pod: ExecutorPodState, now: number): void {
    const since = this.failedSince.get(pod.name) ?? now;
    this.failedSince.set(pod.name, since);
    if (now - since >= this.config.failedPodGraceMs) this.deletePod(pod, 'failed');
  }

  // ---- writes ----

  private deletePod(pod: ExecutorPodState, reason: DeleteReason): void {
    // Counted as gone at once, so the round does not delete it twice; the watch confirms it.
    this.pods.set(pod.name, { ...pod, deleting: true });
    this.failedSince.delete(pod.name);
    if (reason !== 'failed') this.deletedBeforeRegistration.add(pod.executorId);
    this.log.info('deleting executor pod', { pod: pod.name, executorId: pod.executorId, reason });
    this.writes.deletePod(pod.name).then(
      () => this.metrics.podsDeleted.inc({ reason }),
      (error: unknown) => {
        this.apiError('delete', error);
        // Not deleted: count it again; the next round retries.
        const current = this.pods.get(pod.name);
        if (current) this.pods.set(pod.name, { ...current, deleting: false });
        this.scheduleRound();
      },
    );
    this.wakeSyncs();
  }

  private async createExecutor(minted: MintedExecutor): Promise<void> {
    const pod = executorPodToCreate(minted);
    const name = String((pod.metadata as { name?: string }).name);
    this.creating.set(name, minted.resourceProfileId);
    try {
      for (let attempt = 0; ; attempt++) {
        if (this.stopped || this.driverGone) return;
        try {
          const created = await this.writes.createPod(pod);
          this.createdAt.set(name, this.now());
          if (!this.pods.has(name)) this.pods.set(name, executorPodState(created));
          this.metrics.podsCreated.inc({ resource_profile: String(minted.resourceProfileId) });
          await this.createOwnedResources(minted, created);
          return;
        } catch (error) {
          if (error instanceof KubeApiError && error.status === 409) {
            // An earlier attempt of this very pod got through (its answer was lost): nothing to do.
            this.log.info('executor pod already exists: an earlier attempt created it', { pod: name });
            return;
          }
          this.apiError('create', error);
          if (error instanceof KubeApiError && error.status === 403 && /exceeded quota/i.test(error.message)) {
            this.quotaBlocked = true;
            this.log.info('quota is full: executor not created', { pod: name, executorId: minted.executorId });
            return;
          }
          if (error instanceof KubeApiError && error.status >= 400 && error.status < 500 && error.status !== 429) {
            this.log.error('the API server refused the executor pod Spark built', { pod: name, status: error.status, reason: error.reason, message: error.message });
            return;
          }
          await sleep(Math.min(CREATE_RETRY_CAP_MS, 100 * 2 ** attempt));
        }
      }
    } finally {
      this.creating.delete(name);
      this.scheduleRound();
    }
  }

  private async createOwnedResources(minted: MintedExecutor, pod: KubeJson): Promise<void> {
    const meta = pod.metadata as { name: string; uid: string };
    for (const resource of minted.resources) {
      const metadata = (resource.metadata ?? {}) as Record<string, unknown>;
      const owner = { apiVersion: 'v1', kind: 'Pod', name: meta.name, uid: meta.uid, controller: true };
      try {
        await this.writes.createObject({ ...resource, metadata: { ...metadata, ownerReferences: [owner] } });
      } catch (error) {
        if (!(error instanceof KubeApiError && error.status === 409)) this.apiError('create', error);
      }
    }
  }

  private apiError(verb: string, error: unknown): void {
    const code = error instanceof KubeApiError ? String(error.status) : 'network';
    this.metrics.apiErrors.inc({ verb, code });
    this.log.warn('API call failed', { verb, code, message: error instanceof Error ? error.message : String(error) });
  }
}

function sameMap(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
