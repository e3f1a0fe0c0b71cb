// A test-only kubelet that runs pods as real processes on this machine, so the Spark that the
// library's manifests start really runs: the driver (real spark-submit) creates executor pods
// through the real API server with its own service-account token, and they run here too.
//
// It registers the Node `sparkplane-process-node` (label sparkplane.dev/process-node=true; not
// annotated for KWOK, so KWOK leaves it and its pods alone), keeps it Ready (status conditions and a
// Lease renewed in kube-node-lease, so the node lifecycle controller lifts the not-ready taint and
// never marks it NotReady), and polls the pods bound to it. For each pod it does what a kubelet does
// before starting a container: volumes (emptyDir, configMap, secret, downwardAPI, projected with the
// service-account token from the TokenRequest API), environment (fieldRef, secret/configMap keys,
// envFrom, $(VAR) expansion, `$$` escapes), then runs the container in its own mount and UTS
// namespace (`unshare -m -u`): volumes bind-mounted at their mountPaths, the image's files
// (SPARK_HOME at /opt/spark, its entrypoint at /opt/entrypoint.sh), a pod /etc/hosts, the pod's
// user (runAsUser, fsGroup) without privileges, and readOnlyRootFilesystem honoured. Pods see one
// network: the machine's loopback, so every pod IP is 127.0.0.1 and Service names resolve there.
//
// The image `apache/spark:<version>` is the Spark distribution of that version (see spark-home.ts)
// with scripts/e2e/spark-entrypoint.sh as ENTRYPOINT and /opt/spark/work-dir as WORKDIR, user 185.
//
// Status: Running (podIP 127.0.0.1, container running and ready) once the process starts; Succeeded
// or Failed with the exit code when it ends. A pod being deleted gets SIGTERM, SIGKILL after its
// grace period, and is then removed (delete with gracePeriodSeconds 0), as the kubelet does.
// Container logs go to files (.cache/e2e/logs/<run>/<ns>_<pod>_<container>.log) and are served to
// the API server, so `kubectl logs` works. stop() kills every process and removes the node. Should
// the test process die without stop(), the pod processes die with it (PR_SET_PDEATHSIG) and a
// detached watchdog removes the node, its pods and the tests' namespaces from the API server.
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as https from 'https';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as tls from 'tls';
import type { KubeObj } from '../../integration/support/kube';
import { KubeApi, KubeApiError } from './kube-api';
import { containerEnv, expandKubeVars, hostsFile, parseQuantity, podField, podStartScript, POD_IP, type KeyReader, type PodMount } from './pod-runtime';
import { REPO_ROOT, run } from './run';

export const PROCESS_NODE_NAME = 'sparkplane-process-node';
export const PROCESS_NODE_LABEL = 'sparkplane.dev/process-node';
/** The node selector that puts a pod on the process node. */
export const PROCESS_NODE_SELECTOR = { [PROCESS_NODE_LABEL]: 'true' } as const;
export const SPARK_ENTRYPOINT = path.join(REPO_ROOT, 'scripts', 'e2e', 'spark-entrypoint.sh');
export const E2E_CACHE = path.join(REPO_ROOT, '.cache', 'e2e');

/** What the image apache/spark:<version> sets (its Dockerfile: ENV, WORKDIR, USER spark = 185:185). */
const IMAGE_USER = 185;
const IMAGE_WORKDIR = '/opt/spark/work-dir';
const IMAGE_SPARK_HOME = '/opt/spark';

export interface ProcessKubeletOptions {
  readonly api: KubeApi;
  /** Image name → SPARK_HOME on this machine, e.g. { 'apache/spark:4.0.5': '/…/pyspark-4.0.5/pyspark' }. */
  readonly images: Readonly<Record<string, string>>;
  /** The JDK the images use. */
  readonly javaHome: string;
  /**
   * Extra folders every image holds, by path in the image, e.g. the application jars a real image
   * would carry at /opt/…; pods refer to them with local:// URIs. @default - none
   */
  readonly imageFolders?: Readonly<Record<string, string>>;
  /** @default sparkplane-process-node */
  readonly nodeName?: string;
  /** @default .cache/e2e/logs/<timestamp> */
  readonly logDir?: string;
  /** How often the pods bound to the node are listed. @default 250 ms */
  readonly pollIntervalMs?: number;
  /** Called with each line the kubelet logs (also written to <logDir>/kubelet.log). */
  readonly onLog?: (line: string) => void;
}

/** One pod this kubelet ran (or tried to). */
export interface PodRecord {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** The pod's spark-role label ("driver", "executor"), if any. */
  readonly role?: string;
  readonly logFile: string;
  pid?: number;
  startedAt?: Date;
  finishedAt?: Date;
  exitCode?: number;
  /** Why it could not start, when it could not. */
  waitingReason?: string;
  /** Highest resident set size sampled, in bytes. */
  peakRssBytes: number;
  /** The container's memory limit in bytes, if it has one. */
  memoryLimitBytes?: number;
}

/** Figures sampled while pods ran. */
export interface KubeletStats {
  /** Most processes alive at once. */
  peakProcesses: number;
  /** Most processes with a role alive at once, by role. */
  peakByRole: Record<string, number>;
  /** Highest sum of the resident set sizes of all pod processes, in bytes. */
  peakRssBytes: number;
}

interface PodRuntime {
  record: PodRecord;
  pod: KubeObj;
  containerName: string;
  image: string;
  child?: ChildProcess;
  exited?: Promise<void>;
  terminating: boolean;
  killTimer?: NodeJS.Timeout;
  statusPosted: boolean;
  deleteSent: boolean;
  retryAt?: number;
  podDir: string;
}

const TERMINAL = new Set(['Succeeded', 'Failed']);
/** Log folders of earlier runs kept in .cache/e2e/logs. */
const KEEP_LOG_RUNS = 10;
const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const microTime = (d: Date) => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export class ProcessKubelet {
  /** Registers the node, starts the API forwarder and the log server, and begins running pods. */
  static async start(options: ProcessKubeletOptions): Promise<ProcessKubelet> {
    const kubelet = new ProcessKubelet(options);
    try {
      await kubelet.begin();
    } catch (error) {
      await kubelet.stop().catch(() => undefined);
      throw error;
    }
    return kubelet;
  }

  readonly nodeName: string;
  readonly logDir: string;
  private readonly api: KubeApi;
  private readonly runDir: string;
  private readonly pods = new Map<string, PodRuntime>();
  private readonly finished: PodRecord[] = [];
  private lastPods: KubeObj[] = [];
  private stats: KubeletStats = { peakProcesses: 0, peakByRole: {}, peakRssBytes: 0 };
  private timers: NodeJS.Timeout[] = [];
  private stopping = false;
  private syncing?: Promise<void>;
  private forwarder?: net.Server;
  private forwarderSockets = new Set<net.Socket>();
  private logServer?: https.Server;
  private logServerPort = 0;
  private watchdog?: ChildProcess;
  private readonly logStream: fs.WriteStream;

  private constructor(private readonly options: ProcessKubeletOptions) {
    this.api = options.api;
    this.nodeName = options.nodeName ?? PROCESS_NODE_NAME;
    this.logDir = options.logDir ?? path.join(E2E_CACHE, 'logs', new Date().toISOString().replace(/[:.]/g, '-'));
    this.runDir = path.join(E2E_CACHE, 'pods', `${process.pid}-${Date.now()}`);
    pruneOldRuns(path.dirname(this.logDir), KEEP_LOG_RUNS);
    pruneDeadRunDirs(path.dirname(this.runDir));
    fs.mkdirSync(this.logDir, { recursive: true });
    fs.mkdirSync(this.runDir, { recursive: true });
    this.logStream = fs.createWriteStream(path.join(this.logDir, 'kubelet.log'), { flags: 'a' });
  }

  private log(message: string): void {
    const line = `${new Date().toISOString()} ${message}`;
    this.logStream.write(line + '\n');
    this.options.onLog?.(line);
  }

  // ---------------------------------------------------------------------------------------------
  // Node
  // ---------------------------------------------------------------------------------------------

  private async begin(): Promise<void> {
    if (process.getuid?.() !== 0) throw new Error('the process kubelet needs root (unshare -m, mount, setpriv)');
    for (const tool of ['unshare', 'setpriv', 'mount', 'openssl']) {
      if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`the process kubelet needs ${tool} on PATH`);
    }
    this.startWatchdog();
    await this.checkServingCertificate();
    await this.startForwarder();
    await this.startLogServer();
    await this.registerNode();
    this.timers.push(setInterval(() => void this.renewLease().catch((e) => this.log(`lease renewal failed: ${e.message}`)), 10_000));
    this.timers.push(setInterval(() => void this.postNodeStatus().catch((e) => this.log(`node status failed: ${e.message}`)), 30_000));
    this.timers.push(setInterval(() => this.sample(), 500));
    this.timers.push(setInterval(() => void this.sync(), this.options.pollIntervalMs ?? 250));
    this.log(`node ${this.nodeName} registered; logs in ${this.logDir}`);
  }

  /** In-cluster clients dial https://kubernetes.default.svc: the serving certificate must name it. */
  private async checkServingCertificate(): Promise<void> {
    const { server, ca } = this.api.credentials;
    await new Promise<void>((resolve, reject) => {
      const socket = tls.connect({ host: server.hostname, port: Number(server.port || 443), servername: 'kubernetes.default.svc', ca, rejectUnauthorized: true }, () => {
        socket.end();
        resolve();
      });
      socket.on('error', (error) =>
        reject(new Error(`the API server's serving certificate is not valid for kubernetes.default.svc (what a driver in a pod dials): ${error.message}`)),
      );
    });
  }

  /** 127.0.0.1:443 → the API server, since pods reach it at kubernetes.default.svc:443. */
  private async startForwarder(): Promise<void> {
    const { server } = this.api.credentials;
    const port = Number(server.port || 443);
    if (port === 443 && ['127.0.0.1', 'localhost'].includes(server.hostname)) return;
    if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(server.hostname)) {
      throw new Error(`the process kubelet forwards 127.0.0.1:443 to the API server, which must be on this machine's loopback (it is ${server.host})`);
    }
    this.forwarder = net.createServer((client) => {
      const upstream = net.connect({ host: server.hostname.replace(/^\[|\]$/g, ''), port });
      this.forwarderSockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.forwarderSockets.delete(client);
        this.forwarderSockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      this.forwarder!.once('error', (error: NodeJS.ErrnoException) =>
        reject(new Error(`cannot listen on 127.0.0.1:443 for the API forwarder (${error.code}): is another process using it?`)),
      );
      this.forwarder!.listen(443, '127.0.0.1', () => resolve());
    });
  }

  /** Serves /containerLogs/<ns>/<pod>/<container> to the API server, so `kubectl logs` works. */
  private async startLogServer(): Promise<void> {
    const certDir = path.join(E2E_CACHE, 'kubelet-serving');
    const cert = path.join(certDir, 'kubelet.crt');
    const key = path.join(certDir, 'kubelet.key');
    if (!fs.existsSync(cert) || !fs.existsSync(key)) {
      fs.mkdirSync(certDir, { recursive: true });
      const made = await run('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '3650', '-subj', `/CN=${this.nodeName}`,
        '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', `${key}.tmp`, '-out', `${cert}.tmp`,
      ], { timeoutMs: 60_000 });
      if (made.code !== 0) throw new Error(`openssl could not make the log server's certificate: ${made.stderr}`);
      fs.renameSync(`${key}.tmp`, key);
      fs.renameSync(`${cert}.tmp`, cert);
    }
    this.logServer = https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, (request, response) => {
      const url = new URL(request.url ?? '/', 'https://127.0.0.1');
      const match = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      const file = match && path.join(this.logDir, `${match[1]}_${match[2]}_${match[3]}.log`);
      if (!file || !fs.existsSync(file)) {
        response.writeHead(404, { 'Content-Type': 'text/plain' }).end(`no logs of ${url.pathname} on ${this.nodeName}\n`);
        return;
      }
      let text = fs.readFileSync(file, 'utf8');
      const tailLines = Number(url.searchParams.get('tailLines'));
      if (tailLines > 0) text = text.split('\n').slice(-tailLines - 1).join('\n');
      const limitBytes = Number(url.searchParams.get('limitBytes'));
      if (limitBytes > 0) text = text.slice(0, limitBytes);
      response.writeHead(200, { 'Content-Type': 'text/plain' }).end(text);
    });
    await new Promise<void>((resolve, reject) => {
      this.logServer!.once('error', reject);
      this.logServer!.listen(0, '127.0.0.1', () => resolve());
    });
    this.logServerPort = (this.logServer.address() as net.AddressInfo).port;
  }

  private nodeStatus(): any {
    const now = rfc3339(new Date());
    const condition = (type: string, status: string, reason: string, message: string) => ({ type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: this.registeredAt });
    const resources = { cpu: '8', memory: '16Gi', pods: '20', 'ephemeral-storage': '50Gi' };
    return {
      capacity: resources,
      allocatable: resources,
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'process kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'process kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'process kubelet has sufficient PID available'),
        condition('Ready', 'True', 'KubeletReady', 'process kubelet is posting ready status'),
      ],
      addresses: [{ type: 'InternalIP', address: POD_IP }],
      daemonEndpoints: { kubeletEndpoint: { Port: this.logServerPort } },
      nodeInfo: {
        machineID: this.machineId, systemUUID: this.machineId, bootID: this.machineId, kernelVersion: os.release(), osImage: 'sparkplane e2e process kubelet',
        containerRuntimeVersion: 'process://0.1.0', kubeletVersion: 'v1.36.3', kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'amd64',
      },
    };
  }

  private registeredAt = rfc3339(new Date());
  private readonly machineId = randomUUID();
  private nodeUid?: string;

  private async registerNode(): Promise<void> {
    const existing = await this.api.getIfExists(`/api/v1/nodes/${this.nodeName}`);
    if (existing) {
      // Left by a run that died: its processes died with it (PDEATHSIG), so its pods are stale.
      this.log(`removing the stale node ${this.nodeName} and its pods`);
      await this.api.delete(`/api/v1/nodes/${this.nodeName}`);
      for (const pod of await this.api.pods({ fieldSelector: `spec.nodeName=${this.nodeName}` })) {
        await this.api.delete(`/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`, { gracePeriodSeconds: 0 }).catch(() => undefined);
      }
      await this.api.delete(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${this.nodeName}`);
    }
    const node = await this.api.create('/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: this.nodeName,
        labels: {
          'kubernetes.io/hostname': this.nodeName,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          [PROCESS_NODE_LABEL]: 'true',
        },
      },
      spec: {},
    });
    this.nodeUid = node.metadata.uid;
    this.registeredAt = rfc3339(new Date());
    await this.postNodeStatus();
    await this.renewLease();
  }

  private postNodeStatus(): Promise<unknown> {
    return this.api.patch(`/api/v1/nodes/${this.nodeName}/status`, { status: this.nodeStatus() }, 'merge');
  }

  private async renewLease(): Promise<void> {
    const leasePath = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${this.nodeName}`;
    const spec = { holderIdentity: this.nodeName, leaseDurationSeconds: 40, renewTime: microTime(new Date()) };
    const { status } = await this.api.raw('PATCH', leasePath, { body: { spec }, contentType: 'application/merge-patch+json' });
    if (status === 404) {
      await this.api.create('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.nodeName, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid: this.nodeUid }] },
        spec,
      });
    } else if (status < 200 || status >= 300) {
      throw new Error(`renewing the Lease: HTTP ${status}`);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Pods
  // ---------------------------------------------------------------------------------------------

  private sync(): Promise<void> {
    if (this.syncing || this.stopping) return this.syncing ?? Promise.resolve();
    this.syncing = this.syncOnce()
      .catch((error) => this.log(`sync failed: ${error.message}`))
      .finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    const pods = await this.api.pods({ fieldSelector: `spec.nodeName=${this.nodeName}` });
    this.lastPods = pods;
    const seen = new Set<string>();
    for (const pod of pods) {
      const uid = pod.metadata.uid;
      seen.add(uid);
      const runtime = this.pods.get(uid);
      if (runtime) runtime.pod = pod;
      if (pod.metadata.deletionTimestamp) {
        await this.handleDeletion(pod, runtime);
      } else if (!runtime && !TERMINAL.has(pod.status?.phase)) {
        this.startPod(pod);
      } else if (runtime && !runtime.child && runtime.retryAt !== undefined && Date.now() >= runtime.retryAt) {
        runtime.retryAt = undefined;
        void this.launch(runtime);
      }
    }
    for (const [uid, runtime] of this.pods) {
      if (seen.has(uid)) continue;
      // Gone from the API server (force-deleted, or deleted after it ended): nothing may keep running.
      if (this.alive(runtime)) this.terminate(runtime, 0);
      else this.forget(runtime);
    }
  }

  private alive(runtime: PodRuntime): boolean {
    return runtime.child !== undefined && runtime.record.exitCode === undefined;
  }

  private async handleDeletion(pod: KubeObj, runtime: PodRuntime | undefined): Promise<void> {
    if (runtime && this.alive(runtime)) {
      const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
      this.terminate(runtime, grace);
      return;
    }
    if (runtime && runtime.child && !runtime.statusPosted) return; // its final status first
    if (runtime?.deleteSent || (!runtime && this.deletedUids.has(pod.metadata.uid))) return;
    if (runtime) runtime.deleteSent = true;
    else this.deletedUids.add(pod.metadata.uid);
    const { namespace, name, uid } = pod.metadata;
    try {
      await this.api.delete(`/api/v1/namespaces/${namespace}/pods/${name}`, { gracePeriodSeconds: 0, preconditions: { uid } });
      this.log(`${namespace}/${name}: deleted (gracePeriodSeconds 0)`);
    } catch (error) {
      if (!(error instanceof KubeApiError && error.status === 409)) this.log(`${namespace}/${name}: delete failed: ${(error as Error).message}`);
    }
  }

  private readonly deletedUids = new Set<string>();

  /** SIGTERM to the pod's process group, SIGKILL after `graceSeconds`. */
  private terminate(runtime: PodRuntime, graceSeconds: number): void {
    if (runtime.terminating || !runtime.child?.pid) return;
    runtime.terminating = true;
    const pid = runtime.child.pid;
    this.log(`${runtime.record.namespace}/${runtime.record.name}: stopping pid ${pid} (SIGTERM, SIGKILL after ${graceSeconds} s)`);
    signalGroup(pid, graceSeconds > 0 ? 'SIGTERM' : 'SIGKILL');
    // Unref'd: should this process exit first, its exit handler kills the group anyway.
    if (graceSeconds > 0) runtime.killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceSeconds * 1000).unref();
  }

  private forget(runtime: PodRuntime): void {
    this.pods.delete(runtime.record.uid);
    this.finished.push(runtime.record);
    fs.rmSync(runtime.podDir, { recursive: true, force: true });
  }

  private startPod(pod: KubeObj): void {
    const { name, uid } = pod.metadata;
    const namespace = pod.metadata.namespace ?? 'default';
    const container = pod.spec.containers[0];
    const record: PodRecord = {
      namespace,
      name,
      uid,
      role: pod.metadata.labels?.['spark-role'],
      logFile: path.join(this.logDir, `${namespace}_${name}_${container.name}.log`),
      peakRssBytes: 0,
      memoryLimitBytes: container.resources?.limits?.memory ? parseQuantity(container.resources.limits.memory) : undefined,
    };
    const runtime: PodRuntime = {
      record,
      pod,
      containerName: container.name,
      image: container.image,
      terminating: false,
      statusPosted: false,
      deleteSent: false,
      podDir: path.join(this.runDir, `${namespace}_${name}_${uid.slice(0, 8)}`),
    };
    this.pods.set(uid, runtime);
    void this.launch(runtime);
  }

  /** Prepares the pod and starts its process; a pod that cannot start waits (retried every 2 s) as the kubelet's would. */
  private async launch(runtime: PodRuntime): Promise<void> {
    const { pod, record } = runtime;
    let prepared: { argv: string[]; env: Record<string, string>; script: string };
    try {
      prepared = await this.prepare(runtime);
    } catch (error) {
      const reason = error instanceof PodStartError ? error.reason : 'CreateContainerConfigError';
      const message = (error as Error).message;
      if (record.waitingReason !== `${reason}: ${message}`) this.log(`${record.namespace}/${record.name}: cannot start: ${reason}: ${message}`);
      record.waitingReason = `${reason}: ${message}`;
      runtime.retryAt = Date.now() + 2000;
      await this.patchPodStatus(runtime, { phase: 'Pending', containerStatuses: [this.containerStatus(runtime, { waiting: { reason, message } }, false)] }).catch(() => undefined);
      return;
    }
    if (this.stopping || pod.metadata.deletionTimestamp) return;
    record.waitingReason = undefined;
    const scriptFile = path.join(runtime.podDir, 'start.sh');
    fs.writeFileSync(scriptFile, prepared.script, { mode: 0o700 });
    const logFd = fs.openSync(record.logFile, 'a');
    const child = spawn('unshare', ['-m', '-u', '--propagation', 'private', '--', 'bash', scriptFile, ...prepared.argv], {
      env: prepared.env,
      cwd: runtime.podDir,
      detached: true,
      stdio: ['ignore', logFd, logFd],
    });
    fs.closeSync(logFd);
    runtime.child = child;
    record.pid = child.pid;
    record.startedAt = new Date();
    runtime.exited = new Promise<void>((resolve) => {
      child.on('exit', (code, signal) => {
        void this.onExit(runtime, code, signal).finally(resolve);
      });
      child.on('error', (error) => {
        this.log(`${record.namespace}/${record.name}: could not start: ${error.message}`);
      });
    });
    this.log(`${record.namespace}/${record.name}: started pid ${child.pid}: ${prepared.argv.join(' ')}`);
    await this.patchPodStatus(runtime, {
      phase: 'Running',
      hostIP: POD_IP,
      hostIPs: [{ ip: POD_IP }],
      podIP: POD_IP,
      podIPs: [{ ip: POD_IP }],
      startTime: rfc3339(record.startedAt),
      conditions: ['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(record.startedAt!) })),
      containerStatuses: [this.containerStatus(runtime, { running: { startedAt: rfc3339(record.startedAt) } }, true)],
    }).catch((error) => this.log(`${record.namespace}/${record.name}: status Running not posted: ${error.message}`));
  }

  private async onExit(runtime: PodRuntime, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    const { record } = runtime;
    if (runtime.killTimer) clearTimeout(runtime.killTimer);
    record.exitCode = code ?? 128 + (os.constants.signals[signal ?? 'SIGKILL'] ?? 9);
    record.finishedAt = new Date();
    this.log(`${record.namespace}/${record.name}: pid ${record.pid} exited with ${code ?? signal} after ${((record.finishedAt.getTime() - record.startedAt!.getTime()) / 1000).toFixed(1)} s`);
    signalGroup(record.pid!, 'SIGKILL'); // anything the container left behind in its process group
    const succeeded = record.exitCode === 0;
    const container = runtime.pod.spec.containers[0];
    let message: string | undefined;
    if (!succeeded && container.terminationMessagePolicy === 'FallbackToLogsOnError') {
      message = fs.readFileSync(record.logFile, 'utf8').split('\n').slice(-80).join('\n').slice(-2048);
    }
    const finished = rfc3339(record.finishedAt);
    await this.patchPodStatus(runtime, {
      phase: succeeded ? 'Succeeded' : 'Failed',
      conditions: ['ContainersReady', 'Ready'].map((type) => ({ type, status: 'False', reason: 'PodCompleted', lastProbeTime: null, lastTransitionTime: finished })),
      containerStatuses: [
        this.containerStatus(runtime, {
          terminated: {
            exitCode: record.exitCode,
            ...(signal ? { signal: os.constants.signals[signal] } : {}),
            reason: succeeded ? 'Completed' : runtime.terminating ? 'Killed' : 'Error',
            ...(message ? { message } : {}),
            startedAt: rfc3339(record.startedAt!),
            finishedAt: finished,
            containerID: `process://${record.pid}`,
          },
        }, false),
      ],
    }).catch((error) => this.log(`${record.namespace}/${record.name}: final status not posted: ${error.message}`));
    runtime.statusPosted = true;
  }

  private containerStatus(runtime: PodRuntime, state: any, ready: boolean): any {
    return {
      name: runtime.containerName,
      image: runtime.image,
      imageID: `process-kubelet://${this.options.images[normalizeImage(runtime.image)] ?? 'unknown'}`,
      ...(runtime.record.pid ? { containerID: `process://${runtime.record.pid}` } : {}),
      ready,
      started: state.running !== undefined,
      restartCount: 0,
      state,
    };
  }

  private async patchPodStatus(runtime: PodRuntime, status: any): Promise<void> {
    const { namespace, name } = runtime.record;
    await this.api.patch(`/api/v1/namespaces/${namespace}/pods/${name}/status`, { status }, 'strategic');
  }

  /** Volumes, environment, command and the isolation script of the pod's one container. */
  private async prepare(runtime: PodRuntime): Promise<{ argv: string[]; env: Record<string, string>; script: string }> {
    const pod = runtime.pod;
    const spec = pod.spec;
    if (spec.containers.length !== 1 || (spec.initContainers ?? []).length > 0 || (spec.ephemeralContainers ?? []).length > 0) {
      throw new PodStartError('Unsupported', 'the process kubelet runs pods of exactly one container and no init containers');
    }
    const container = spec.containers[0];
    const sparkHome = this.options.images[normalizeImage(container.image)];
    if (!sparkHome) {
      throw new PodStartError('ErrImagePull', `image "${container.image}" is not available on ${this.nodeName} (it has ${Object.keys(this.options.images).join(', ')})`);
    }
    fs.rmSync(runtime.podDir, { recursive: true, force: true });
    fs.mkdirSync(path.join(runtime.podDir, 'volumes'), { recursive: true });
    const namespace = pod.metadata.namespace;

    const securityContext = { ...spec.securityContext, ...container.securityContext };
    const uid = securityContext.runAsUser ?? IMAGE_USER;
    const gid = securityContext.runAsGroup ?? IMAGE_USER;
    const fsGroup: number | undefined = spec.securityContext?.fsGroup;
    const groups = [gid, ...(fsGroup !== undefined ? [fsGroup] : []), ...(spec.securityContext?.supplementalGroups ?? [])];

    const read: KeyReader = async (kind, name) => {
      const object = await this.api.getIfExists(`/api/v1/namespaces/${namespace}/${kind === 'secret' ? 'secrets' : 'configmaps'}/${name}`);
      if (!object) return undefined;
      if (kind === 'secret') return Object.fromEntries(Object.entries<string>(object.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
      return { ...object.data, ...Object.fromEntries(Object.entries<string>(object.binaryData ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('latin1')])) };
    };

    // Volumes.
    const volumeDirs = new Map<string, { dir: string; readOnly: boolean }>();
    for (const volume of spec.volumes ?? []) {
      const dir = path.join(runtime.podDir, 'volumes', volume.name);
      fs.mkdirSync(dir, { recursive: true });
      const readOnly = await this.materializeVolume(pod, volume, dir, read);
      fs.chownSync(dir, 0, fsGroup ?? 0);
      volumeDirs.set(volume.name, { dir, readOnly });
    }

    // Environment: the `kubernetes` Service's variables (always set, enableServiceLinks or not), as this node reaches it.
    const serviceEnv = {
      KUBERNETES_SERVICE_HOST: POD_IP, KUBERNETES_SERVICE_PORT: '443', KUBERNETES_SERVICE_PORT_HTTPS: '443',
      KUBERNETES_PORT: `tcp://${POD_IP}:443`, KUBERNETES_PORT_443_TCP: `tcp://${POD_IP}:443`, KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
      KUBERNETES_PORT_443_TCP_PORT: '443', KUBERNETES_PORT_443_TCP_ADDR: POD_IP,
    };
    const kubeEnv = await containerEnv(pod, container, read, serviceEnv);
    const hostname = (spec.hostname ?? pod.metadata.name).slice(0, 63);
    const imageEnv = {
      PATH: `${this.options.javaHome}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      JAVA_HOME: this.options.javaHome,
      SPARK_HOME: IMAGE_SPARK_HOME,
      LANG: 'C.UTF-8',
      HOME: '/home/spark',
      HOSTNAME: hostname,
    };
    const env = { ...imageEnv, ...kubeEnv };

    // Command: the image's ENTRYPOINT unless `command` replaces it, with $(VAR) expanded in both.
    const expand = (s: string) => expandVars(s, kubeEnv);
    const argv = container.command
      ? [...container.command.map(expand), ...(container.args ?? []).map(expand)]
      : ['/opt/entrypoint.sh', ...(container.args ?? []).map(expand)];

    // Files of the pod: /etc/hosts, and /etc/passwd and /etc/group that know the image's user.
    const etc = path.join(runtime.podDir, 'etc');
    fs.mkdirSync(etc);
    const services = (await this.api.get('/api/v1/services')).items ?? [];
    const onNode = [...this.lastPods.filter((p) => !TERMINAL.has(p.status?.phase)), pod];
    fs.writeFileSync(path.join(etc, 'hosts'), hostsFile(pod, hostname, services, onNode), { mode: 0o644 });
    const passwd = fs.readFileSync('/etc/passwd', 'utf8');
    const group = fs.readFileSync('/etc/group', 'utf8');
    fs.writeFileSync(path.join(etc, 'passwd'), passwd + (passwd.split('\n').some((l) => l.split(':')[2] === String(IMAGE_USER)) ? '' : `spark:x:${IMAGE_USER}:${IMAGE_USER}::/home/spark:/bin/false\n`), { mode: 0o644 });
    fs.writeFileSync(path.join(etc, 'group'), group + (group.split('\n').some((l) => l.split(':')[2] === String(IMAGE_USER)) ? '' : `spark:x:${IMAGE_USER}:\n`), { mode: 0o644 });

    const mounts: PodMount[] = [
      { target: IMAGE_SPARK_HOME, source: sparkHome, readOnly: true, kind: 'dir' },
      { target: '/opt/entrypoint.sh', source: SPARK_ENTRYPOINT, readOnly: true, kind: 'file' },
      ...Object.entries(this.options.imageFolders ?? {}).map(([target, source]): PodMount => ({ target, source, readOnly: true, kind: 'dir' })),
      { target: '/etc/hosts', source: path.join(etc, 'hosts'), readOnly: false, kind: 'file' },
      { target: '/etc/passwd', source: path.join(etc, 'passwd'), readOnly: true, kind: 'file' },
      { target: '/etc/group', source: path.join(etc, 'group'), readOnly: true, kind: 'file' },
    ];
    for (const mount of container.volumeMounts ?? []) {
      const volume = volumeDirs.get(mount.name);
      if (!volume) throw new PodStartError('CreateContainerConfigError', `volumeMount ${mount.name}: no such volume`);
      const source = mount.subPath ? path.join(volume.dir, mount.subPath) : volume.dir;
      if (mount.subPath && !fs.existsSync(source)) fs.mkdirSync(source, { recursive: true });
      mounts.push({ target: mount.mountPath, source, readOnly: volume.readOnly || mount.readOnly === true, kind: fs.statSync(source).isDirectory() ? 'dir' : 'file' });
    }
    const scratchDir = path.join(runtime.podDir, 'scratch');
    fs.mkdirSync(scratchDir);
    const script = podStartScript({
      mounts,
      scratchDir,
      hostname,
      workingDir: container.workingDir ?? IMAGE_WORKDIR,
      uid,
      gid,
      groups,
      readOnlyRootFilesystem: securityContext.readOnlyRootFilesystem === true,
    });
    return { argv, env, script };
  }

  /** Writes one volume's content into `dir`; returns whether the kubelet mounts it read-only. */
  private async materializeVolume(pod: KubeObj, volume: any, dir: string, read: KeyReader): Promise<boolean> {
    const writeKeys = (data: Record<string, string>, items: Array<{ key: string; path: string; mode?: number }> | undefined, defaultMode: number | undefined, sub = '') => {
      const entries = items ? items.map((i) => [i.key, i.path, i.mode] as const) : Object.keys(data).map((k) => [k, k, undefined] as const);
      for (const [key, file, mode] of entries) {
        if (data[key] === undefined) throw new PodStartError('CreateContainerConfigError', `volume ${volume.name}: key "${key}" not found`);
        writeVolumeFile(path.join(dir, sub, file), data[key], mode ?? defaultMode ?? 0o644);
      }
    };
    if (volume.emptyDir) {
      fs.chmodSync(dir, 0o777);
      return false;
    }
    if (volume.configMap || volume.secret) {
      const kind = volume.configMap ? 'configmap' : 'secret';
      const source = volume.configMap ?? volume.secret;
      const name = source.name ?? source.secretName;
      const data = await read(kind, name);
      if (!data) {
        if (source.optional) return true;
        throw new PodStartError('CreateContainerConfigError', `volume ${volume.name}: ${kind} "${name}" not found`);
      }
      writeKeys(data, source.items, source.defaultMode);
      return true;
    }
    if (volume.downwardAPI) {
      for (const item of volume.downwardAPI.items ?? []) writeVolumeFile(path.join(dir, item.path), downward(pod, item), item.mode ?? volume.downwardAPI.defaultMode ?? 0o644);
      return true;
    }
    if (volume.projected) {
      const defaultMode = volume.projected.defaultMode;
      for (const source of volume.projected.sources ?? []) {
        if (source.serviceAccountToken) {
          const token = await this.requestToken(pod, source.serviceAccountToken);
          writeVolumeFile(path.join(dir, source.serviceAccountToken.path), token, defaultMode ?? 0o644);
        } else if (source.configMap || source.secret) {
          const kind = source.configMap ? 'configmap' : 'secret';
          const ref = source.configMap ?? source.secret;
          const data = await read(kind, ref.name);
          if (!data) {
            if (ref.optional) continue;
            throw new PodStartError('CreateContainerConfigError', `volume ${volume.name}: ${kind} "${ref.name}" not found`);
          }
          writeKeys(data, ref.items, defaultMode);
        } else if (source.downwardAPI) {
          for (const item of source.downwardAPI.items ?? []) writeVolumeFile(path.join(dir, item.path), downward(pod, item), item.mode ?? defaultMode ?? 0o644);
        } else {
          throw new PodStartError('CreateContainerConfigError', `volume ${volume.name}: projected source ${Object.keys(source).join(',')} is not supported`);
        }
      }
      return true;
    }
    throw new PodStartError(
      'CreateContainerConfigError',
      `volume ${volume.name}: ${Object.keys(volume).filter((k) => k !== 'name').join(',')} volumes are not supported by the process kubelet (emptyDir, configMap, secret, downwardAPI, projected are)`,
    );
  }

  /** A service-account token bound to the pod, from the TokenRequest API, as the kubelet gets it. */
  private async requestToken(pod: KubeObj, source: { audience?: string; expirationSeconds?: number }): Promise<string> {
    const account = pod.spec.serviceAccountName ?? 'default';
    const answer = await this.api.create(`/api/v1/namespaces/${pod.metadata.namespace}/serviceaccounts/${account}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        audiences: source.audience ? [source.audience] : [],
        expirationSeconds: source.expirationSeconds ?? 3607,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
      },
    });
    return answer.status.token;
  }

  // ---------------------------------------------------------------------------------------------
  // Figures, queries, stop
  // ---------------------------------------------------------------------------------------------

  private sample(): void {
    let processes = 0;
    let rss = 0;
    const byRole: Record<string, number> = {};
    const rssByGroup = rssByProcessGroup();
    for (const runtime of this.pods.values()) {
      if (!this.alive(runtime) || !runtime.record.pid) continue;
      processes++;
      if (runtime.record.role) byRole[runtime.record.role] = (byRole[runtime.record.role] ?? 0) + 1;
      const bytes = rssByGroup.get(runtime.record.pid) ?? 0;
      runtime.record.peakRssBytes = Math.max(runtime.record.peakRssBytes, bytes);
      rss += bytes;
    }
    this.stats.peakProcesses = Math.max(this.stats.peakProcesses, processes);
    this.stats.peakRssBytes = Math.max(this.stats.peakRssBytes, rss);
    for (const [role, count] of Object.entries(byRole)) this.stats.peakByRole[role] = Math.max(this.stats.peakByRole[role] ?? 0, count);
  }

  /** Figures since the start or the last reset. */
  figures(): KubeletStats {
    return { ...this.stats, peakByRole: { ...this.stats.peakByRole } };
  }

  resetFigures(): void {
    this.stats = { peakProcesses: 0, peakByRole: {}, peakRssBytes: 0 };
  }

  /** Every pod this kubelet has run or is running, oldest first. */
  records(): PodRecord[] {
    return [...this.finished, ...[...this.pods.values()].map((r) => r.record)].sort((a, b) => (a.startedAt?.getTime() ?? Infinity) - (b.startedAt?.getTime() ?? Infinity));
  }

  /** Pids of the pod processes still alive. */
  livePids(): number[] {
    return [...this.pods.values()].filter((r) => this.alive(r)).map((r) => r.record.pid!);
  }

  /** The container log of a pod (what `kubectl logs` shows), or '' when it has none. */
  logOf(namespace: string, podName: string): string {
    const record = this.records().find((r) => r.namespace === namespace && r.name === podName);
    return record && fs.existsSync(record.logFile) ? fs.readFileSync(record.logFile, 'utf8') : '';
  }

  /** Kills every pod process (SIGTERM, then SIGKILL after `graceMs`), removes the node and its Lease. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.syncing;
    const live = [...this.pods.values()].filter((r) => this.alive(r));
    for (const runtime of live) this.terminate(runtime, graceMs / 1000);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(live.map((r) => r.exited)), new Promise((resolve) => (timer = setTimeout(resolve, graceMs + 5000)))]);
    clearTimeout(timer);
    this.killAllSync();
    await this.api.delete(`/api/v1/nodes/${this.nodeName}`).catch((e) => this.log(`deleting the node failed: ${e.message}`));
    await this.api.delete(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${this.nodeName}`).catch(() => undefined);
    for (const socket of this.forwarderSockets) socket.destroy();
    await new Promise<void>((resolve) => (this.forwarder ? this.forwarder.close(() => resolve()) : resolve()));
    this.logServer?.closeAllConnections();
    await new Promise<void>((resolve) => (this.logServer ? this.logServer.close(() => resolve()) : resolve()));
    for (const runtime of [...this.pods.values()]) this.forget(runtime);
    fs.rmSync(this.runDir, { recursive: true, force: true });
    this.watchdog?.kill('SIGKILL');
    this.log('stopped');
    await new Promise<void>((resolve) => this.logStream.end(resolve));
  }

  private get namespacesFile(): string {
    return path.join(this.runDir, 'namespaces');
  }

  /** A namespace the test made for its pods: should the test process die, the watchdog deletes it. */
  ownNamespace(namespace: string): void {
    fs.appendFileSync(this.namespacesFile, `${namespace}\n`);
  }

  /** SIGKILL every pod process group still alive. */
  private killAllSync(): void {
    for (const runtime of this.pods.values()) if (runtime.record.pid && this.alive(runtime)) signalGroup(runtime.record.pid, 'SIGKILL');
  }

  /**
   * A small detached process that outlives this one only to clean up after it: when this process
   * is gone without stop() (killed, interrupted, crashed), it force-deletes the pods bound to the
   * node, the node and its Lease, and the namespaces given to ownNamespace(). (The pod processes themselves die with this process: PDEATHSIG.)
   * Exit handlers cannot do it: Jest gives each test file its own `process` object, whose 'exit'
   * and signal listeners never fire.
   */
  private startWatchdog(): void {
    const { server, ca, cert, key, token } = this.api.credentials;
    this.watchdog = spawn(process.execPath, ['-e', WATCHDOG_SOURCE], {
      detached: true,
      stdio: 'ignore',
      env: {
        WATCH_PARENT: String(process.pid),
        WATCH_SERVER: server.toString(),
        WATCH_NODE: this.nodeName,
        WATCH_NAMESPACES_FILE: this.namespacesFile,
        WATCH_LOG: path.join(this.logDir, 'watchdog.log'),
        WATCH_CA: ca?.toString('base64') ?? '',
        WATCH_CERT: cert?.toString('base64') ?? '',
        WATCH_KEY: key?.toString('base64') ?? '',
        WATCH_TOKEN: token ?? '',
      },
    });
    this.watchdog.unref();
  }
}

class PodStartError extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

/** The watchdog (plain Node, no TypeScript): waits for its parent to die, then removes the node's objects. */
const WATCHDOG_SOURCE = `
const https = require('https');
const env = process.env;
const parent = Number(env.WATCH_PARENT);
const server = new URL(env.WATCH_SERVER);
const b64 = (v) => (v ? Buffer.from(v, 'base64') : undefined);
const log = (line) => { try { require('fs').appendFileSync(env.WATCH_LOG, new Date().toISOString() + ' ' + line + '\\n'); } catch {} };
const agent = new https.Agent({ ca: b64(env.WATCH_CA), cert: b64(env.WATCH_CERT), key: b64(env.WATCH_KEY) });
function call(method, path, body) {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    // Content-Length, or Node sends a DELETE's body unframed and the API server ignores it.
    const headers = { Accept: 'application/json', ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}), ...(env.WATCH_TOKEN ? { Authorization: 'Bearer ' + env.WATCH_TOKEN } : {}) };
    const request = https.request({ hostname: server.hostname, port: server.port || 443, path, method, headers, agent, timeout: 10000 }, (response) => {
      let text = '';
      response.on('data', (c) => (text += c));
      response.on('end', () => {
        log(method + ' ' + path + ': ' + response.statusCode);
        try { resolve(JSON.parse(text)); } catch { resolve(undefined); }
      });
    });
    request.on('error', (error) => { log(method + ' ' + path + ': ' + error.message); resolve(undefined); });
    request.on('timeout', () => request.destroy());
    request.end(payload);
  });
}
let cleaning = false;
async function cleanup() {
  if (cleaning) return;
  cleaning = true;
  log('pid ' + parent + ' is gone: removing what its process kubelet left');
  const node = env.WATCH_NODE;
  const pods = await call('GET', '/api/v1/pods?fieldSelector=' + encodeURIComponent('spec.nodeName=' + node));
  for (const pod of (pods && pods.items) || []) {
    await call('DELETE', '/api/v1/namespaces/' + pod.metadata.namespace + '/pods/' + pod.metadata.name, { gracePeriodSeconds: 0 });
  }
  await call('DELETE', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/' + node);
  await call('DELETE', '/api/v1/nodes/' + node);
  let namespaces = [];
  try { namespaces = require('fs').readFileSync(env.WATCH_NAMESPACES_FILE, 'utf8').split('\\n').filter(Boolean); } catch {}
  for (const namespace of namespaces) await call('DELETE', '/api/v1/namespaces/' + namespace);
  try { require('fs').rmSync(require('path').dirname(env.WATCH_NAMESPACES_FILE), { recursive: true, force: true }); } catch {}
  process.exit(0);
}
setInterval(() => {
  try { process.kill(parent, 0); } catch (error) { if (error.code === 'ESRCH') void cleanup(); }
}, 1000);
setTimeout(() => process.exit(0), 24 * 3600 * 1000);
`;

/** `apache/spark:4.0.5` for `docker.io/apache/spark:4.0.5` too. */
export function normalizeImage(image: string): string {
  return image.replace(/^(docker\.io|index\.docker\.io)\//, '');
}

function expandVars(value: string, env: Record<string, string>): string {
  return expandKubeVars(value, (name) => env[name]);
}

function downward(pod: KubeObj, item: any): string {
  if (item.fieldRef) return podField(pod, item.fieldRef.fieldPath);
  throw new PodStartError('CreateContainerConfigError', `downwardAPI item ${item.path}: only fieldRef is supported`);
}

function writeVolumeFile(file: string, content: string, mode: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, { mode });
  fs.chmodSync(file, mode);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Resident set size of every process group, in bytes, from /proc (a pod's processes share one group). */
function rssByProcessGroup(): Map<number, number> {
  const totals = new Map<number, number>();
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return totals;
  }
  for (const entry of entries) {
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pgrp = Number(fields[2]); // field 5 of stat(5), counted from the state field (3)
      const rssPages = Number(fields[21]); // field 24
      totals.set(pgrp, (totals.get(pgrp) ?? 0) + rssPages * 4096);
    } catch {
      // exited meanwhile
    }
  }
  return totals;
}

/** Keeps the `keep` newest run folders of `dir` (named by start time), removing older ones. */
function pruneOldRuns(dir: string, keep: number): void {
  if (!fs.existsSync(dir)) return;
  const runs = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  for (const old of runs.slice(0, Math.max(0, runs.length - keep))) fs.rmSync(path.join(dir, old), { recursive: true, force: true });
}

/** Removes the pod folders of kubelets whose process is gone (named <pid>-<time>). */
function pruneDeadRunDirs(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir)) {
    const pid = Number(entry.split('-')[0]);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    }
  }
}
