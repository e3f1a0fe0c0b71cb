// A stand-in for the allocator's JVM bridge, for tests and benchmarks on KWOK nodes, where no
// executor JVM can run (the e2e suite runs the real bridge in a real Spark driver). It speaks the
// bridge protocol of lib/core/allocator/protocol.ts exactly as SparkplanePodsAllocator.java does:
// hello, then back-to-back syncs carrying Spark's targets and registered executors, minting pods with
// increasing executor IDs when asked. What stands in for Spark:
// - pods are built like Spark's KubernetesExecutorBuilder (support/spark.ts `executorPod`);
// - an executor "registers" when its pod is Running (KWOK marks it so), the way a real executor
//   registers moments after its JVM starts; a pod the sidecar reported deleted never registers;
// - `kill(n)` deletes registered executors' pods, as Spark's doKillExecutors does on scale-down.
import * as http from 'http';
import * as https from 'https';
import { randomUUID } from 'crypto';
import type { BridgeHello, BridgeSync, BridgeSyncReply, KubeJson, MintedExecutor } from '../../../lib/core/allocator/protocol';
import { ALLOCATOR_PROTOCOL_VERSION } from '../../../lib/core/allocator/protocol';
import type { KubeApi } from '../../e2e/support/kube-api';
import type { KubeObj } from './kube';
import { executorPod, TEST_APP_ID, type RenderedApplication } from './spark';

export interface SimulatedBridgeOptions {
  readonly api: KubeApi;
  readonly app: RenderedApplication;
  readonly driverPod: KubeObj;
  /** The sidecar's bridge API, e.g. http://127.0.0.1:7090. */
  readonly sidecarUrl: string;
  /** Changes each minted pod (e.g. a node selector no node has). @default - none */
  readonly customizePod?: (pod: KubeObj) => void;
}

/** Pod facts the bridge keeps from its watch. */
interface SeenPod {
  readonly executorId: string;
  phase: string;
}

export class SimulatedBridge {
  readonly bridgeId = randomUUID();
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  private target = 0;
  private seq = 0;
  private nextExecutorId = 1;
  private running = false;
  private closed = false;
  private loop: Promise<void> | undefined;
  private readonly handledRequests = new Set<string>();
  private pendingMinted: MintedExecutor[] = [];
  private readonly deleted = new Set<string>();
  private readonly pods = new Map<string, SeenPod>();
  private profileSent = false;
  private hello: BridgeHello | undefined;
  private watchRequest: http.ClientRequest | undefined;
  /** Every executor ID this bridge minted. */
  readonly mintedIds: string[] = [];
  /** Most executor pods seen alive at once. */
  maxAlive = 0;
  syncs = 0;

  constructor(private readonly options: SimulatedBridgeOptions) {}

  /** Says hello and starts syncing. */
  async start(): Promise<void> {
    this.watchPods();
    const { driverPod } = this.options;
    const hello: BridgeHello = {
      protocol: ALLOCATOR_PROTOCOL_VERSION,
      bridgeId: this.bridgeId,
      appId: TEST_APP_ID,
      namespace: driverPod.metadata.namespace!,
      driverPod: { name: driverPod.metadata.name, uid: driverPod.metadata.uid },
      sparkVersion: '4.0.5',
    };
    this.hello = hello;
    await this.sayHello();
    this.running = true;
    this.loop = this.syncLoop();
  }

  private async sayHello(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.post('/v1/hello', this.hello);
        return;
      } catch (error) {
        if (attempt > 100) throw error;
        await sleep(100);
      }
    }
  }

  /** Sets Spark's target (dynamic allocation's total for the default profile). */
  setTarget(target: number): void {
    this.target = target;
  }

  /** Executor IDs registered now. */
  registered(): string[] {
    return [...this.pods.values()].filter((p) => p.phase === 'Running' && !this.deleted.has(p.executorId)).map((p) => p.executorId);
  }

  /** Executor pods alive now (not finished). */
  alive(): number {
    return [...this.pods.values()].filter((p) => p.phase === 'Pending' || p.phase === 'Running').length;
  }

  /** IDs the sidecar reported deleted before registration. */
  deletedIds(): string[] {
    return [...this.deleted];
  }

  /** Scale-down as Spark does it: lower the target and delete `count` registered executors' pods. */
  async kill(count: number): Promise<void> {
    const victims = this.registered().slice(0, count);
    this.target = Math.max(0, this.target - victims.length);
    // Spark lowers the target at once and deletes the pods after deleteGracePeriod (5 s); the
    // sidecar has the new target by then. One completed sync stands in for the grace period.
    const syncs = this.syncs;
    while (this.syncs < syncs + 2) await sleep(50);
    const ns = this.options.driverPod.metadata.namespace;
    await Promise.all(victims.map((id) => this.options.api.delete(`/api/v1/namespaces/${ns}/pods/${this.options.driverPod.metadata.name}-exec-${id}`)));
  }

  async stop(): Promise<void> {
    this.running = false;
    this.closed = true;
    await this.loop;
    this.watchRequest?.destroy();
    this.agent.destroy();
  }

  private async syncLoop(): Promise<void> {
    while (this.running) {
      const minted = this.pendingMinted;
      this.pendingMinted = [];
      const sync: BridgeSync = {
        bridgeId: this.bridgeId,
        seq: ++this.seq,
        targets: { '0': this.target },
        registered: this.registered(),
        ...(this.profileSent ? {} : { profiles: { '0': this.split(this.build('0')) } }),
        ...(minted.length ? { minted } : {}),
      };
      try {
        const reply = (await this.post('/v1/sync', sync)) as BridgeSyncReply;
        this.syncs++;
        this.profileSent = true;
        for (const id of reply.deleted) this.deleted.add(id);
        for (const request of reply.mint) {
          if (this.handledRequests.has(request.request)) continue;
          this.handledRequests.add(request.request);
          for (let i = 0; i < request.count; i++) {
            const executorId = String(this.nextExecutorId++);
            this.mintedIds.push(executorId);
            this.pendingMinted.push({ request: request.request, executorId, resourceProfileId: 0, ...this.split(this.build(executorId)), resources: [] });
          }
        }
      } catch (error) {
        // A restarted sidecar does not know this bridge (409): say hello again, as the real bridge does.
        // Minted pods are sent again; the new sidecar ignores them (their requests died with the old one).
        this.pendingMinted = [...minted, ...this.pendingMinted];
        if (/HTTP 409/.test(String(error))) {
          this.profileSent = false;
          await this.sayHello();
        } else {
          await sleep(200);
        }
      }
    }
  }

  private build(executorId: string): KubeObj {
    const pod = executorPod(this.options.app, this.options.driverPod, Number(executorId));
    this.options.customizePod?.(pod);
    return pod;
  }

  /** Spark's SparkPod: the pod without its executor container, and the container. */
  private split(pod: KubeObj): { pod: KubeJson; container: KubeJson } {
    const name = this.options.app.sparkProperties['spark.kubernetes.executor.podTemplateContainerName'];
    const container = pod.spec.containers.find((c: { name: string }) => c.name === name);
    return { pod: { ...pod, spec: { ...pod.spec, containers: pod.spec.containers.filter((c: unknown) => c !== container) } }, container };
  }

  private post(path: string, body: unknown): Promise<unknown> {
    const url = new URL(path, this.options.sidecarUrl);
    const payload = Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = http.request(url, { method: 'POST', agent: this.agent, headers: { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) }, timeout: 10_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 0) >= 300) reject(new Error(`${path}: HTTP ${res.statusCode}: ${text}`));
          else resolve(JSON.parse(text || '{}'));
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${path}: timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Watches the application's executor pods (like the driver's own ExecutorPodsWatchSnapshotSource). */
  private watchPods(resourceVersion = ''): void {
    const { credentials } = this.options.api;
    const ns = this.options.driverPod.metadata.namespace;
    const query = new URLSearchParams({ watch: 'true', labelSelector: `spark-app-selector=${TEST_APP_ID},spark-role=executor`, allowWatchBookmarks: 'true', ...(resourceVersion ? { resourceVersion } : {}) });
    const req = https.get({
      hostname: credentials.server.hostname,
      port: credentials.server.port,
      path: `/api/v1/namespaces/${ns}/pods?${query}`,
      ca: credentials.ca,
      cert: credentials.cert,
      key: credentials.key,
      headers: credentials.token ? { Authorization: `Bearer ${credentials.token}` } : {},
    }, (res) => {
      let buffer = '';
      let lastVersion = resourceVersion;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          if (!line.trim()) continue;
          const event = JSON.parse(line) as { type: string; object: KubeObj };
          if (event.type === 'ERROR') {
            lastVersion = '';
            continue;
          }
          lastVersion = event.object.metadata.resourceVersion ?? lastVersion;
          if (event.type === 'BOOKMARK') continue;
          // Other drivers' executors (the tests share an app ID) are not this driver's.
          if (event.object.metadata.ownerReferences?.[0]?.uid !== this.options.driverPod.metadata.uid) continue;
          const name = event.object.metadata.name;
          if (event.type === 'DELETED' || event.object.metadata.deletionTimestamp) this.pods.delete(name);
          else this.pods.set(name, { executorId: event.object.metadata.labels?.['spark-exec-id'] ?? '', phase: event.object.status?.phase ?? 'Pending' });
          this.maxAlive = Math.max(this.maxAlive, this.alive());
        }
      });
      const again = () => {
        if (!this.closed) setTimeout(() => this.watchPods(lastVersion), 200);
      };
      res.on('end', again);
      res.on('error', again);
    });
    req.on('error', () => {
      if (!this.closed) setTimeout(() => this.watchPods(resourceVersion), 200);
    });
    this.watchRequest = req;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
