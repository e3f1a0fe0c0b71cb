// A test-only kubelet that runs pods as real processes on this machine, so the Spark that the
// library's manifests start really runs: the driver (real spark-submit) creates executor pods
// through the real API server with its own service-account token, and they run here too.
//
// It registers the Node `sparkplane-process-node` (label sparkplane.dev/process-node=true; not
// annotated for KWOK, so KWOK leaves it and its pods alone), keeps it Ready (status conditions and a
// Lease renewed in kube-node-lease, so the node lifecycle controller lifts the not-ready taint and
// never marks it NotReady), and polls the pods bound to it (DaemonSet pods too: the node has no
// taint). For each pod it does what a kubelet does before starting its containers: volumes
// (emptyDir, configMap, secret, downwardAPI, projected with the service-account token from the
// TokenRequest API, one set per pod, shared by its containers; hostPath, see below) and a pod
// /etc/hosts; then, per container, the environment (fieldRef, secret/configMap keys, envFrom,
// $(VAR) expansion, `$$` escapes) and a process in its own mount and UTS namespace
// (`unshare -m -u`): volumes bind-mounted at their mountPaths, the image's files, the pod's user
// (runAsUser, fsGroup) without privileges or capabilities (a uid-0 container gets those of its
// `capabilities.add` that act on files, e.g. CHOWN, FOWNER), and readOnlyRootFilesystem honoured.
// Pods see one network: the machine's loopback, so every pod IP is 127.0.0.1 and Service names
// resolve there; `hostNetwork: true` changes only the host name (the node's, as a pod in the node's
// UTS namespace has).
//
// hostPath volumes live under `hostPathRoot`, a folder that stands for the node's root file system:
// hostPath /var/x is <hostPathRoot>/var/x, shared by every pod of this kubelet and kept when they go,
// and nothing is written to this machine's own /var. Their type is checked as the kubelet's hostPath
// plugin checks it: a `Directory` not there yet keeps the pod waiting, retried, as every volume of a
// pod is set up before its first container (init containers included).
// persistentVolumeClaim volumes are resolved as the kubelet's volume manager resolves them (the claim
// must be Bound, by the cluster's PV controller, to a PersistentVolume bound back to it); a PV backed
// by `hostPath` or `local` (the only kinds that mean something on one machine) is then a folder under
// the same host root, so a claim's files outlive its pods. fsGroup ownership as the kubelet's plugins
// apply it: none for hostPath, recursive for a `local` PV mounted read-write by no other pod.
//
// Containers run as Kubernetes runs them (v1.36): init containers one after the other, each to
// exit 0 before the next starts (one that fails fails the pod under restartPolicy Never, and is
// restarted with back-off under OnFailure/Always); native sidecars (init containers with
// restartPolicy Always) started in order, the next container starting once the sidecar is started
// (its startupProbe passed, if it has one), restarted whenever they exit while the pod runs, and
// stopped (SIGTERM) in reverse order after the regular containers have exited; then the regular
// containers together, restarted according to the pod's restartPolicy (back-off 0 s, 10 s, 20 s, …
// 300 s). Startup, readiness and liveness probes (httpGet, tcpSocket, exec) set `started`/`ready` or
// restart the container. The phase follows the kubelet's rules (sidecars do not count; no terminal
// phase while any container still runs), and initContainerStatuses/containerStatuses report every
// container's state, lastState, ready, started and restartCount.
//
// Images, by name (`options.images`):
// - `apache/spark:<version>`: a Spark distribution of that version (see spark-home.ts) at
//   /opt/spark, scripts/e2e/spark-entrypoint.sh as ENTRYPOINT at /opt/entrypoint.sh,
//   /opt/spark/work-dir as WORKDIR, user 185 — on the machine's own root filesystem.
// - a rootfs image (`{ rootfs, config }`): an unpacked image root filesystem and its OCI config
//   (Entrypoint, Cmd, Env, User, WorkingDir). The container runs with that folder as its root,
//   under a throw-away overlay (writes go to a tmpfs that is gone when the container exits), with
//   its own /proc, a minimal /dev, and the volumes, /etc/hosts and /etc/hostname mounted in it.
//
// A pod being deleted gets its regular containers stopped (SIGTERM, SIGKILL after the grace period),
// then its sidecars in reverse order, and is then removed (delete with gracePeriodSeconds 0), as the
// kubelet does. Container logs go to files (.cache/e2e/logs/<run>/<ns>_<pod>_<container>.log) and
// are served to the API server, so `kubectl logs [-c container]` works. stop() kills every process
// and removes the node. Should the test process die without stop(), the pod processes die with it
// (PR_SET_PDEATHSIG) and a detached watchdog removes the node, its pods and the tests' namespaces
// from the API server.
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as tls from 'tls';
import type { KubeObj } from '../../integration/support/kube';
import { KubeApi, KubeApiError } from './kube-api';
import {
  containerEnv, expandKubeVars, grantedCapabilities, hostsFile, matchesNodeSelectorTerms, parseQuantity, podField, podStartScript, POD_IP, rootfsStartScript, type KeyReader, type PodMount,
} from './pod-runtime';
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
/** The PATH container runtimes set when the image sets none. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** What a rootfs image's OCI config says about how its containers run (the `config` object of an OCI image config). */
export interface OciImageConfig {
  readonly Entrypoint?: readonly string[] | null;
  readonly Cmd?: readonly string[] | null;
  /** `NAME=value` entries. */
  readonly Env?: readonly string[] | null;
  /** `uid`, `uid:gid`, `name` or `name:group` (names looked up in the rootfs' /etc/passwd and /etc/group). @default root */
  readonly User?: string;
  /** @default / */
  readonly WorkingDir?: string;
}

/** An image given as an unpacked root filesystem and its OCI config. */
export interface RootfsImage {
  /** The folder holding the image's root filesystem (read only: containers write to an overlay). */
  readonly rootfs: string;
  /** @default {} (no Entrypoint/Cmd: pods must give a command; user root; working directory /) */
  readonly config?: OciImageConfig;
}

/**
 * The OCI config of an image from its config JSON: an OCI image config (`{ config: { Entrypoint, … } }`,
 * what `skopeo`/`umoci` unpack as `config.json` or the blob the manifest names), or the bare `config` object.
 */
export function readOciImageConfig(file: string): OciImageConfig {
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  const config = json.config && typeof json.config === 'object' && !Array.isArray(json.config) ? json.config : json;
  return { Entrypoint: config.Entrypoint, Cmd: config.Cmd, Env: config.Env, User: config.User, WorkingDir: config.WorkingDir };
}

export interface ProcessKubeletOptions {
  readonly api: KubeApi;
  /**
   * Image name → what it is on this machine: a string is the SPARK_HOME of an `apache/spark:<v>`
   * image (e.g. { 'apache/spark:4.0.5': '/…/pyspark-4.0.5/pyspark' }); a RootfsImage is an
   * unpacked image (e.g. { 'sparkplane:dev': { rootfs: '/…/.cache/image/rootfs', config: {…} } }).
   */
  readonly images: Readonly<Record<string, string | RootfsImage>>;
  /** The JDK the apache/spark images use. */
  readonly javaHome: string;
  /**
   * Extra folders every apache/spark image holds, by path in the image, e.g. the application jars a
   * real image would carry at /opt/…; pods refer to them with local:// URIs. @default - none
   */
  readonly imageFolders?: Readonly<Record<string, string>>;
  /** @default sparkplane-process-node */
  readonly nodeName?: string;
  /** @default .cache/e2e/logs/<timestamp> */
  readonly logDir?: string;
  /**
   * The folder that stands for the node's root file system in hostPath volumes (and the hostPath or
   * local PersistentVolumes of claims): hostPath `/var/x` is `<hostPathRoot>/var/x`, shared by every
   * pod of this kubelet and kept when they go.
   * @default .cache/e2e/hostpath/<pid>-<time>, removed by stop()
   */
  readonly hostPathRoot?: string;
  /** How often the pods bound to the node are listed. @default 250 ms */
  readonly pollIntervalMs?: number;
  /**
   * Forward 127.0.0.1:443 to the API server, which pods reach as kubernetes.default.svc:443. Off
   * only for tests whose pods never call the API server (then two kubelets can run at once).
   * @default true
   */
  readonly forwardApiServer?: boolean;
  /** Called with each line the kubelet logs (also written to <logDir>/kubelet.log). */
  readonly onLog?: (line: string) => void;
}

/** What a container of a pod is to the kubelet. */
export type ContainerKind = 'init' | 'sidecar' | 'regular';

/** One container of a pod this kubelet ran (its latest run, when it was restarted). */
export interface ContainerRecord {
  readonly name: string;
  /** `sidecar`: an init container with restartPolicy Always. */
  readonly kind: ContainerKind;
  readonly logFile: string;
  pid?: number;
  startedAt?: Date;
  finishedAt?: Date;
  /** Of the last run that ended. */
  exitCode?: number;
  restartCount: number;
  /** Why it could not start, when it could not. */
  waitingReason?: string;
  /** Highest resident set size sampled, in bytes. */
  peakRssBytes: number;
  /** The container's memory limit in bytes, if it has one. */
  memoryLimitBytes?: number;
}

/**
 * One pod this kubelet ran (or tried to). The fields other than `containers` are those of its main
 * container (`spec.containers[0]`).
 */
export interface PodRecord {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** The pod's spark-role label ("driver", "executor"), if any. */
  readonly role?: string;
  readonly logFile: string;
  readonly pid?: number;
  readonly startedAt?: Date;
  readonly finishedAt?: Date;
  readonly exitCode?: number;
  /** Why it (its main container, or the pod) could not start, when it could not. */
  readonly waitingReason?: string;
  /** Highest resident set size sampled, in bytes. */
  readonly peakRssBytes: number;
  /** The container's memory limit in bytes, if it has one. */
  readonly memoryLimitBytes?: number;
  /** Init containers (sidecars among them) in order, then the regular containers. */
  readonly containers: readonly ContainerRecord[];
}

/** Figures sampled while pods ran. */
export interface KubeletStats {
  /** Most container processes alive at once. */
  peakProcesses: number;
  /** Most pods with a role and a process alive at once, by role. */
  peakByRole: Record<string, number>;
  /** Highest sum of the resident set sizes of all container processes, in bytes. */
  peakRssBytes: number;
}

type Terminated = {
  exitCode: number; signal?: number; reason: string; message?: string; startedAt: string; finishedAt: string; containerID: string;
};

interface ContainerRuntime {
  readonly name: string;
  readonly kind: ContainerKind;
  readonly spec: any;
  readonly record: ContainerRecord;
  /** Its files on the host: start script, scratch space. */
  readonly dir: string;
  child?: ChildProcess;
  exited?: Promise<void>;
  /** Being prepared and spawned. */
  starting: boolean;
  /** Its process is alive. */
  running: boolean;
  /** Running and its startupProbe (if any) has passed. */
  started: boolean;
  /** Has been started (startup probe passed) at least once: a sidecar that has no longer blocks the containers after it. */
  everStarted: boolean;
  ready: boolean;
  /** Runs so far. */
  runs: number;
  /** Bumped at each start and exit: probes of an earlier run stop. */
  generation: number;
  terminations: Terminated[];
  waiting?: { reason: string; message?: string };
  /** Init container: exited 0. Regular container: exited for good (not to be restarted). */
  done: boolean;
  /** Init container: failed under restartPolicy Never (fails the pod). */
  failed: boolean;
  restartAt?: number;
  backoffMs: number;
  retryAt?: number;
  terminating: boolean;
  killTimer?: NodeJS.Timeout;
  /** How it runs, for exec probes. */
  identity?: { uid: number; gid: number; env: Record<string, string> };
}

interface PreparedPod {
  /** By volume name: the host folder (or file, for a hostPath File) mounted for it. */
  readonly volumeSources: Map<string, { source: string; readOnly: boolean }>;
  readonly etcDir: string;
  readonly hostname: string;
  readonly fsGroup?: number;
  /** Groups the pod's volumes add to every container's (a PersistentVolume's `pv.beta.kubernetes.io/gid`), as the kubelet adds them. */
  readonly volumeGroups: readonly number[];
  /** The PersistentVolumes its claims are bound to, by name (a local PV's ownership is set by its first pod only). */
  readonly persistentVolumes: readonly string[];
}

/** A persistentVolumeClaim volume, set up: what is mounted for it and what it adds to the pod. */
interface ClaimVolume {
  readonly source: string;
  readonly readOnly: boolean;
  readonly persistentVolume: string;
  readonly supplementalGroup?: number;
}

interface PodRuntime {
  record: PodRecord;
  pod: KubeObj;
  podDir: string;
  containers: ContainerRuntime[];
  main: ContainerRuntime;
  startTime: Date;
  prepared?: PreparedPod;
  preparing: boolean;
  /** Why the pod's volumes or files could not be made yet. */
  waiting?: { reason: string; message: string };
  retryAt?: number;
  /** All init containers completed (sidecars started): the regular containers may run. Sticky. */
  initialized: boolean;
  /** Stopping every container: deleted, gone, completed, failed, or the kubelet stops. */
  shutdown?: { deadline: number; why: string; graceSeconds: number };
  /** Every container stopped after shutdown: the final status follows. */
  finalized: boolean;
  finalizedPromise: Promise<void>;
  resolveFinalized: () => void;
  statusPosted: boolean;
  deleteSent: boolean;
  /** Gone from the API server: nothing to post. */
  gone: boolean;
  phase: string;
  conditions: Map<string, { status: string; time: string }>;
  posting: Promise<void>;
  postQueued?: Promise<void>;
}

/** What a container runs: its command, environment, user and the script that isolates it. */
interface PreparedContainer {
  readonly argv: string[];
  readonly env: Record<string, string>;
  readonly script: string;
  readonly uid: number;
  readonly gid: number;
}

/** The least time a container gets between SIGTERM and SIGKILL (the kubelet's minimumGracePeriodInSeconds), unless the grace period is 0. */
const MIN_GRACE_MS = 2000;

/** A pod's record: the main container's figures, read through to its container record. */
function podRecord(
  namespace: string, name: string, uid: string, role: string | undefined, main: ContainerRecord, containers: ContainerRecord[], podWaiting: () => { reason: string; message: string } | undefined,
): PodRecord {
  return {
    namespace,
    name,
    uid,
    role,
    logFile: main.logFile,
    containers,
    get pid() { return main.pid; },
    get startedAt() { return main.startedAt; },
    get finishedAt() { return main.finishedAt; },
    get exitCode() { return main.exitCode; },
    get waitingReason() {
      const waiting = podWaiting();
      return waiting ? `${waiting.reason}: ${waiting.message}` : main.waitingReason;
    },
    get peakRssBytes() { return main.peakRssBytes; },
    get memoryLimitBytes() { return main.memoryLimitBytes; },
  };
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
  /** The labels the node registers with (what a PersistentVolume's nodeAffinity is checked against). */
  readonly nodeLabels: Readonly<Record<string, string>>;
  readonly logDir: string;
  /** What hostPath volumes see as the node's `/` (see ProcessKubeletOptions.hostPathRoot). */
  readonly hostPathRoot: string;
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
    this.nodeLabels = { 'kubernetes.io/hostname': this.nodeName, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', [PROCESS_NODE_LABEL]: 'true' };
    this.logDir = options.logDir ?? path.join(E2E_CACHE, 'logs', new Date().toISOString().replace(/[:.]/g, '-'));
    const run = `${process.pid}-${Date.now()}`;
    this.runDir = path.join(E2E_CACHE, 'pods', run);
    this.hostPathRoot = path.resolve(options.hostPathRoot ?? path.join(E2E_CACHE, 'hostpath', run));
    pruneOldRuns(path.dirname(this.logDir), KEEP_LOG_RUNS);
    pruneDeadRunDirs(path.dirname(this.runDir));
    pruneDeadRunDirs(path.join(E2E_CACHE, 'hostpath'));
    fs.mkdirSync(this.logDir, { recursive: true });
    fs.mkdirSync(this.runDir, { recursive: true });
    fs.mkdirSync(this.hostPathRoot, { recursive: true, mode: 0o755 });
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
    if (this.options.forwardApiServer === false) return;
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
        labels: this.nodeLabels,
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
      } else if (runtime) {
        this.advance(runtime); // retries and back-offs that are due
      }
    }
    for (const [uid, runtime] of this.pods) {
      if (seen.has(uid)) continue;
      // Gone from the API server (force-deleted, or deleted after it ended): nothing may keep running.
      runtime.gone = true;
      if (this.podAlive(runtime)) this.shutDown(runtime, 0, 'gone from the API server');
      else this.forget(runtime);
    }
  }

  /** A container of the pod is running or being started. */
  private podAlive(runtime: PodRuntime): boolean {
    return runtime.containers.some((c) => c.running || c.starting);
  }

  private async handleDeletion(pod: KubeObj, runtime: PodRuntime | undefined): Promise<void> {
    if (runtime && !runtime.finalized) {
      const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
      this.shutDown(runtime, grace, 'deleted');
      return;
    }
    if (runtime && !runtime.statusPosted) return; // its final status first
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

  private forget(runtime: PodRuntime): void {
    for (const c of runtime.containers) {
      c.generation++; // stops its probes
      if (c.killTimer) clearTimeout(c.killTimer);
    }
    this.pods.delete(runtime.record.uid);
    this.finished.push(runtime.record);
    fs.rmSync(runtime.podDir, { recursive: true, force: true });
  }

  private startPod(pod: KubeObj): void {
    const { name, uid } = pod.metadata;
    const namespace = pod.metadata.namespace ?? 'default';
    const podDir = path.join(this.runDir, `${namespace}_${name}_${uid.slice(0, 8)}`);
    const containers: ContainerRuntime[] = [
      ...(pod.spec.initContainers ?? []).map((spec: any) => [spec, spec.restartPolicy === 'Always' ? 'sidecar' : 'init'] as const),
      ...pod.spec.containers.map((spec: any) => [spec, 'regular'] as const),
    ].map(([spec, kind]): ContainerRuntime => ({
      name: spec.name,
      kind,
      spec,
      record: {
        name: spec.name,
        kind,
        logFile: path.join(this.logDir, `${namespace}_${name}_${spec.name}.log`),
        restartCount: 0,
        peakRssBytes: 0,
        memoryLimitBytes: spec.resources?.limits?.memory ? parseQuantity(spec.resources.limits.memory) : undefined,
      },
      dir: path.join(podDir, 'containers', spec.name),
      starting: false,
      running: false,
      started: false,
      everStarted: false,
      ready: false,
      runs: 0,
      generation: 0,
      terminations: [],
      done: false,
      failed: false,
      backoffMs: 0,
      terminating: false,
    }));
    const main = containers.find((c) => c.kind === 'regular')!;
    let resolveFinalized!: () => void;
    const finalizedPromise = new Promise<void>((resolve) => (resolveFinalized = resolve));
    const runtime: PodRuntime = {
      record: podRecord(namespace, name, uid, pod.metadata.labels?.['spark-role'], main.record, containers.map((c) => c.record), () => runtime.waiting),
      pod,
      podDir,
      containers,
      main,
      startTime: new Date(),
      preparing: false,
      initialized: false,
      finalized: false,
      finalizedPromise,
      resolveFinalized,
      statusPosted: false,
      deleteSent: false,
      gone: false,
      phase: 'Pending',
      conditions: new Map(),
      posting: Promise.resolve(),
    };
    this.pods.set(uid, runtime);
    this.advance(runtime);
  }

  /**
   * The pod worker's step: decides what to start or stop next from the containers' states. Called
   * on every event (a process started or exited, a probe changed, the pod was prepared) and on
   * every poll (retries and back-offs that are due).
   */
  private advance(rt: PodRuntime): void {
    if (rt.finalized) return;
    if (rt.shutdown) return this.continueShutdown(rt);
    if (this.stopping || rt.gone) return;
    if (!rt.prepared) {
      if (!rt.preparing && Date.now() >= (rt.retryAt ?? 0)) void this.preparePod(rt);
      return;
    }
    // Init containers, in order: each regular one must complete, each sidecar must be started.
    let initialized = true;
    for (const c of rt.containers) {
      if (c.kind === 'regular') break;
      if (c.kind === 'init') {
        if (c.done) continue;
        if (c.failed) return this.shutDown(rt, rt.pod.spec.terminationGracePeriodSeconds ?? 30, `init container ${c.name} failed`);
        initialized = false;
        this.maybeStart(rt, c);
        break;
      }
      if (c.everStarted) {
        if (!c.running) this.maybeStart(rt, c); // a sidecar that exited: restarted (after its back-off)
        continue;
      }
      initialized = false;
      this.maybeStart(rt, c);
      break;
    }
    if (!initialized && !rt.initialized) return;
    if (!rt.initialized) {
      rt.initialized = true;
      void this.postStatus(rt);
    }
    const regular = rt.containers.filter((c) => c.kind === 'regular');
    for (const c of regular) if (!c.done) this.maybeStart(rt, c);
    if (regular.every((c) => c.done)) this.shutDown(rt, rt.pod.spec.terminationGracePeriodSeconds ?? 30, 'its containers have completed');
  }

  private maybeStart(rt: PodRuntime, c: ContainerRuntime): void {
    if (c.running || c.starting || c.done || c.failed) return;
    const now = Date.now();
    if ((c.restartAt !== undefined && now < c.restartAt) || (c.retryAt !== undefined && now < c.retryAt)) return;
    void this.startContainer(rt, c);
  }

  /**
   * Stops every container: the regular ones (and a running init container) first, then the
   * sidecars in reverse order, each after the ones after it have exited; SIGKILL at the end of the
   * grace period (a sidecar left with less than 2 s gets 2 s, as the kubelet's minimum). A shorter
   * grace period given later (a second delete) applies.
   */
  private shutDown(rt: PodRuntime, graceSeconds: number, why: string): void {
    const deadline = Date.now() + graceSeconds * 1000;
    if (rt.shutdown && rt.shutdown.deadline <= deadline) return;
    const first = !rt.shutdown;
    rt.shutdown = { deadline, why, graceSeconds };
    for (const c of rt.containers) {
      c.restartAt = undefined; // nothing restarts any more
      if (c.waiting?.reason === 'CrashLoopBackOff') c.waiting = undefined;
    }
    if (first) {
      const live = rt.containers.filter((c) => c.running || c.starting);
      this.log(`${rt.record.namespace}/${rt.record.name}: ${why}: stopping ${live.length ? live.map((c) => c.name).join(', ') : 'nothing (no container runs)'} (grace ${graceSeconds} s)`);
    } else {
      for (const c of rt.containers) {
        if (!c.terminating || !c.running) continue;
        if (graceSeconds <= 0) signalGroup(c.record.pid!, 'SIGKILL');
        else this.scheduleKill(rt, c);
      }
    }
    this.advance(rt);
  }

  private continueShutdown(rt: PodRuntime): void {
    const live = rt.containers.filter((c) => c.running || c.starting);
    const others = live.filter((c) => c.kind !== 'sidecar');
    const next = others.length > 0 ? others : live.filter((c) => c.kind === 'sidecar').slice(-1);
    for (const c of next) if (c.running) this.stopContainer(rt, c);
    if (live.length === 0) void this.finalize(rt);
  }

  /** SIGTERM to the container's process group (SIGKILL when the grace period is 0), SIGKILL at the deadline. */
  private stopContainer(rt: PodRuntime, c: ContainerRuntime, graceMs?: number): void {
    if (c.terminating || !c.record.pid) return;
    c.terminating = true;
    const kill = graceMs !== undefined ? graceMs <= 0 : rt.shutdown!.graceSeconds <= 0;
    const grace = Math.max(graceMs ?? rt.shutdown!.deadline - Date.now(), MIN_GRACE_MS);
    this.log(`${rt.record.namespace}/${rt.record.name}/${c.name}: stopping pid ${c.record.pid} (${kill ? 'SIGKILL' : `SIGTERM, SIGKILL after ${(grace / 1000).toFixed(1)} s`})`);
    signalGroup(c.record.pid, kill ? 'SIGKILL' : 'SIGTERM');
    if (!kill) this.scheduleKill(rt, c, graceMs);
  }

  private scheduleKill(rt: PodRuntime, c: ContainerRuntime, graceMs?: number): void {
    if (c.killTimer) clearTimeout(c.killTimer);
    const pid = c.record.pid!;
    const grace = graceMs ?? rt.shutdown!.deadline - Date.now();
    // Unref'd: should this process exit first, PDEATHSIG kills the container anyway.
    c.killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), Math.max(grace, MIN_GRACE_MS)).unref();
  }

  /** Every container has stopped: the final status, once. */
  private async finalize(rt: PodRuntime): Promise<void> {
    if (rt.finalized) return;
    rt.finalized = true;
    this.log(`${rt.record.namespace}/${rt.record.name}: every container stopped (${rt.shutdown?.why})`);
    await this.postStatus(rt);
    rt.statusPosted = true;
    rt.resolveFinalized();
  }

  /** The pod's volumes and files, once (retried every 2 s while something they need is missing, as the kubelet's volume manager does). */
  private async preparePod(rt: PodRuntime): Promise<void> {
    const { pod, record } = rt;
    rt.preparing = true;
    try {
      const spec = pod.spec;
      if ((spec.ephemeralContainers ?? []).length > 0) throw new PodStartError('Unsupported', 'the process kubelet does not run ephemeral containers');
      for (const c of rt.containers) this.image(c.spec.image); // a missing image: the pod waits (ErrImagePull)
      fs.rmSync(rt.podDir, { recursive: true, force: true });
      fs.mkdirSync(path.join(rt.podDir, 'volumes'), { recursive: true });
      const fsGroup: number | undefined = spec.securityContext?.fsGroup;
      const read = this.keyReader(rt.record.namespace);
      const volumeSources = new Map<string, { source: string; readOnly: boolean }>();
      const volumeGroups: number[] = [];
      const persistentVolumes: string[] = [];
      for (const volume of spec.volumes ?? []) {
        if (volume.hostPath) {
          volumeSources.set(volume.name, { source: this.setUpHostPath(volume), readOnly: false }); // not the pod's: no fsGroup
          continue;
        }
        if (volume.persistentVolumeClaim) {
          const claim = await this.setUpClaim(rt, volume);
          volumeSources.set(volume.name, { source: claim.source, readOnly: claim.readOnly });
          persistentVolumes.push(claim.persistentVolume);
          if (claim.supplementalGroup !== undefined) volumeGroups.push(claim.supplementalGroup);
          continue;
        }
        const dir = path.join(rt.podDir, 'volumes', volume.name);
        fs.mkdirSync(dir, { recursive: true });
        const readOnly = await this.materializeVolume(pod, volume, dir, read);
        // emptyDir, configMap, secret, downwardAPI and projected all support ownership management:
        // with an fsGroup their files get its group, readable (0440 files become root:fsGroup 0440).
        if (fsGroup === undefined) fs.chownSync(dir, 0, 0);
        else setVolumeOwnership(dir, fsGroup, readOnly, spec.securityContext?.fsGroupChangePolicy);
        volumeSources.set(volume.name, { source: dir, readOnly });
      }
      // Files of the pod: /etc/hosts and /etc/hostname, and for apache/spark images /etc/passwd and /etc/group that know its user.
      // A hostNetwork pod shares the node's UTS namespace: it has the node's host name, whatever spec.hostname says.
      const hostname = spec.hostNetwork ? this.nodeName : (spec.hostname ?? pod.metadata.name).slice(0, 63);
      const etcDir = path.join(rt.podDir, 'etc');
      fs.mkdirSync(etcDir);
      const services = (await this.api.get('/api/v1/services')).items ?? [];
      const onNode = [...this.lastPods.filter((p) => !TERMINAL.has(p.status?.phase)), pod];
      fs.writeFileSync(path.join(etcDir, 'hosts'), hostsFile(pod, hostname, services, onNode), { mode: 0o644 });
      fs.writeFileSync(path.join(etcDir, 'hostname'), `${hostname}\n`, { mode: 0o644 });
      const passwd = fs.readFileSync('/etc/passwd', 'utf8');
      const group = fs.readFileSync('/etc/group', 'utf8');
      fs.writeFileSync(path.join(etcDir, 'passwd'), passwd + (passwd.split('\n').some((l) => l.split(':')[2] === String(IMAGE_USER)) ? '' : `spark:x:${IMAGE_USER}:${IMAGE_USER}::/home/spark:/bin/false\n`), { mode: 0o644 });
      fs.writeFileSync(path.join(etcDir, 'group'), group + (group.split('\n').some((l) => l.split(':')[2] === String(IMAGE_USER)) ? '' : `spark:x:${IMAGE_USER}:\n`), { mode: 0o644 });
      if (rt.shutdown || rt.gone || this.stopping) return;
      rt.prepared = { volumeSources, etcDir, hostname, fsGroup, volumeGroups, persistentVolumes };
      rt.waiting = undefined;
      rt.retryAt = undefined;
    } catch (error) {
      const reason = error instanceof PodStartError ? error.reason : 'CreateContainerConfigError';
      const message = (error as Error).message;
      if (rt.waiting?.message !== message) this.log(`${record.namespace}/${record.name}: cannot start: ${reason}: ${message}`);
      rt.waiting = { reason, message };
      rt.retryAt = Date.now() + 2000;
      void this.postStatus(rt);
      return;
    } finally {
      rt.preparing = false;
    }
    void this.postStatus(rt);
    this.advance(rt);
  }

  /** Starts one run of a container; one that cannot start yet waits (CreateContainerConfigError, …) and is retried every 2 s. */
  private async startContainer(rt: PodRuntime, c: ContainerRuntime): Promise<void> {
    const { record } = rt;
    c.starting = true;
    try {
      let prepared: PreparedContainer;
      try {
        prepared = await this.prepareContainer(rt, c);
      } catch (error) {
        const reason = error instanceof PodStartError ? error.reason : 'CreateContainerConfigError';
        const message = (error as Error).message;
        if (c.waiting?.message !== message) this.log(`${record.namespace}/${record.name}/${c.name}: cannot start: ${reason}: ${message}`);
        c.waiting = { reason, message };
        c.record.waitingReason = `${reason}: ${message}`;
        c.retryAt = Date.now() + 2000;
        return;
      }
      if (rt.shutdown || rt.gone || this.stopping) return;
      fs.rmSync(c.dir, { recursive: true, force: true });
      fs.mkdirSync(path.join(c.dir, 'scratch'), { recursive: true });
      const scriptFile = path.join(c.dir, 'start.sh');
      fs.writeFileSync(scriptFile, prepared.script, { mode: 0o700 });
      const logFd = fs.openSync(c.record.logFile, 'a');
      const child = spawn('unshare', ['-m', '-u', '--propagation', 'private', '--', 'bash', scriptFile, ...prepared.argv], {
        env: prepared.env,
        cwd: c.dir,
        detached: true,
        stdio: ['ignore', logFd, logFd],
      });
      fs.closeSync(logFd);
      if (c.runs > 0) c.record.restartCount++;
      c.runs++;
      c.generation++;
      c.child = child;
      c.running = true;
      c.terminating = false;
      c.waiting = undefined;
      c.retryAt = undefined;
      c.restartAt = undefined;
      c.record.waitingReason = undefined;
      c.started = c.kind === 'init' || !c.spec.startupProbe;
      if (c.started) c.everStarted = true;
      c.ready = c.kind !== 'init' && c.started && !c.spec.readinessProbe;
      c.identity = { uid: prepared.uid, gid: prepared.gid, env: prepared.env };
      c.record.pid = child.pid;
      c.record.startedAt = new Date();
      c.record.finishedAt = undefined;
      let ended = false;
      const end = (code: number | null, signal: NodeJS.Signals | null) => {
        if (ended) return Promise.resolve();
        ended = true;
        return this.onContainerExit(rt, c, code, signal);
      };
      c.exited = new Promise<void>((resolve) => {
        child.on('exit', (code, signal) => void end(code, signal).finally(resolve));
        child.on('error', (error) => {
          this.log(`${record.namespace}/${record.name}/${c.name}: could not start: ${error.message}`);
          if (child.pid === undefined) void end(127, null).finally(resolve);
        });
      });
      this.log(`${record.namespace}/${record.name}/${c.name}: started pid ${child.pid}${c.record.restartCount ? ` (restart ${c.record.restartCount})` : ''}: ${prepared.argv.join(' ')}`);
      this.startProbes(rt, c);
    } finally {
      c.starting = false;
      void this.postStatus(rt);
      this.advance(rt);
    }
  }

  private async onContainerExit(rt: PodRuntime, c: ContainerRuntime, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    const { record } = rt;
    if (c.killTimer) clearTimeout(c.killTimer);
    c.generation++;
    const pid = c.record.pid!;
    const exitCode = code ?? 128 + (os.constants.signals[signal ?? 'SIGKILL'] ?? 9);
    const finishedAt = new Date();
    const startedAt = c.record.startedAt!;
    c.record.exitCode = exitCode;
    c.record.finishedAt = finishedAt;
    signalGroup(pid, 'SIGKILL'); // anything the container left behind in its process group
    this.log(`${record.namespace}/${record.name}/${c.name}: pid ${pid} exited with ${code ?? signal} after ${((finishedAt.getTime() - startedAt.getTime()) / 1000).toFixed(1)} s`);
    let message: string | undefined;
    if (exitCode !== 0 && c.spec.terminationMessagePolicy === 'FallbackToLogsOnError') {
      message = fs.readFileSync(c.record.logFile, 'utf8').split('\n').slice(-80).join('\n').slice(-2048);
    }
    c.terminations.push({
      exitCode,
      ...(signal ? { signal: os.constants.signals[signal] } : {}),
      reason: exitCode === 0 ? 'Completed' : 'Error',
      ...(message ? { message } : {}),
      startedAt: rfc3339(startedAt),
      finishedAt: rfc3339(finishedAt),
      containerID: `process://${pid}`,
    });
    c.running = false;
    c.started = false;
    c.ready = c.kind === 'init' && exitCode === 0; // a completed init container is ready
    c.terminating = false;
    c.child = undefined;
    const policy = rt.pod.spec.restartPolicy ?? 'Always';
    const restart = rt.shutdown || this.stopping
      ? false
      : c.kind === 'sidecar' || (c.kind === 'init' ? exitCode !== 0 && policy !== 'Never' : policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0));
    if (restart) {
      // The kubelet's back-off: the first restart at once, then 10 s, doubling up to 5 min.
      const delay = c.backoffMs;
      c.backoffMs = Math.min(Math.max(c.backoffMs * 2, 10_000), 300_000);
      c.restartAt = Date.now() + delay;
      if (delay > 0) c.waiting = { reason: 'CrashLoopBackOff', message: `back-off ${delay / 1000}s restarting failed container=${c.name} pod=${record.name}_${record.namespace}(${record.uid})` };
      this.log(`${record.namespace}/${record.name}/${c.name}: restarting in ${delay / 1000} s`);
    } else if (c.kind === 'init') {
      if (exitCode === 0) c.done = true;
      else if (!rt.shutdown && !this.stopping) c.failed = true;
    } else if (c.kind === 'regular') {
      c.done = true;
    }
    void this.postStatus(rt);
    this.advance(rt);
    await rt.posting;
  }

  // Probes ---------------------------------------------------------------------------------------

  /** The container's startup, readiness and liveness probes, as the kubelet's prober workers run them. */
  private startProbes(rt: PodRuntime, c: ContainerRuntime): void {
    if (c.kind === 'init') return; // not allowed on init containers that are not sidecars
    const generation = c.generation;
    for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
      const probe = c.spec[kind];
      if (!probe) continue;
      let successes = 0;
      let failures = 0;
      const schedule = (ms: number) => setTimeout(() => void tick(), ms).unref();
      const current = () => c.generation === generation && c.running && !rt.shutdown && !this.stopping;
      const tick = async () => {
        if (!current()) return;
        if (kind === 'startupProbe' && c.started) return;
        if (kind !== 'startupProbe' && !c.started) return schedule((probe.periodSeconds ?? 10) * 1000);
        const ok = await this.probe(c, probe).catch(() => false);
        if (!current()) return;
        if (ok) {
          successes++;
          failures = 0;
        } else {
          failures++;
          successes = 0;
        }
        const failed = !ok && failures >= (probe.failureThreshold ?? 3);
        if (kind === 'startupProbe') {
          if (ok) {
            c.started = true;
            c.everStarted = true;
            c.ready = !c.spec.readinessProbe;
            void this.postStatus(rt);
            this.advance(rt);
            return;
          }
          if (failed) return this.restartUnhealthy(rt, c, probe, `startup probe failed ${failures} times`);
        } else if (kind === 'readinessProbe') {
          const ready = ok && successes >= (probe.successThreshold ?? 1) ? true : failed ? false : c.ready;
          if (ready !== c.ready) {
            c.ready = ready;
            this.log(`${rt.record.namespace}/${rt.record.name}/${c.name}: ${ready ? 'ready' : 'not ready'} (readiness probe)`);
            void this.postStatus(rt);
          }
        } else if (failed) {
          return this.restartUnhealthy(rt, c, probe, `liveness probe failed ${failures} times`);
        }
        schedule((probe.periodSeconds ?? 10) * 1000);
      };
      schedule((probe.initialDelaySeconds ?? 0) * 1000);
    }
  }

  /** A failed startup or liveness probe: the container is killed, then restarted as the restart policy says. */
  private restartUnhealthy(rt: PodRuntime, c: ContainerRuntime, probe: any, why: string): void {
    this.log(`${rt.record.namespace}/${rt.record.name}/${c.name}: ${why}: killing it`);
    const graceSeconds = probe.terminationGracePeriodSeconds ?? rt.pod.spec.terminationGracePeriodSeconds ?? 30;
    this.stopContainer(rt, c, graceSeconds * 1000);
  }

  /** One probe: httpGet (2xx/3xx), tcpSocket (connects) or exec (exits 0, in the container's namespaces and root, as its user). */
  private async probe(c: ContainerRuntime, probe: any): Promise<boolean> {
    const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
    const port = (value: number | string) => {
      if (typeof value === 'number' || /^\d+$/.test(value)) return Number(value);
      const found = (c.spec.ports ?? []).find((p: any) => p.name === value);
      if (!found) throw new Error(`no container port named ${value}`);
      return found.containerPort as number;
    };
    if (probe.httpGet) {
      const get = probe.httpGet;
      const client = (get.scheme ?? 'HTTP').toUpperCase() === 'HTTPS' ? https : http;
      const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.36', Accept: '*/*' };
      for (const header of get.httpHeaders ?? []) headers[header.name] = header.value;
      return new Promise((resolve) => {
        const request = client.request(
          { host: get.host ?? POD_IP, port: port(get.port), path: get.path ?? '/', method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false, agent: false },
          (response) => {
            response.resume();
            resolve((response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 400);
          },
        );
        request.on('error', () => resolve(false));
        request.on('timeout', () => {
          request.destroy();
          resolve(false);
        });
        request.end();
      });
    }
    if (probe.tcpSocket) {
      return new Promise((resolve) => {
        const socket = net.connect({ host: probe.tcpSocket.host ?? POD_IP, port: port(probe.tcpSocket.port), timeout: timeoutMs });
        socket.on('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
        socket.on('timeout', () => {
          socket.destroy();
          resolve(false);
        });
      });
    }
    if (probe.exec) {
      const pid = c.record.pid;
      if (!pid || !c.identity) return false;
      const { uid, gid, env } = c.identity;
      const result = await run('nsenter', ['-t', String(pid), '-m', '-u', '-r', '-w', '-S', String(uid), '-G', String(gid), '--', ...probe.exec.command], { env, timeoutMs });
      return result.code === 0;
    }
    throw new Error(`probe ${Object.keys(probe).join(',')} is not supported (httpGet, tcpSocket, exec are)`);
  }

  // Status ---------------------------------------------------------------------------------------

  /** Posts the pod's status as it is when the post goes out; posts are serialized, and coalesced while one waits. */
  private postStatus(rt: PodRuntime): Promise<void> {
    if (rt.postQueued) return rt.postQueued;
    const queued = rt.posting.then(async () => {
      rt.postQueued = undefined;
      if (rt.gone) return;
      const { namespace, name } = rt.record;
      await this.api
        .patch(`/api/v1/namespaces/${namespace}/pods/${name}/status`, { status: this.podStatus(rt) }, 'strategic')
        .catch((error) => this.log(`${namespace}/${name}: status not posted: ${error.message}`));
    });
    rt.postQueued = queued;
    rt.posting = queued;
    return queued;
  }

  /** The pod's status from its containers' states, by the kubelet's rules (getPhase, generateAPIPodStatus). */
  private podStatus(rt: PodRuntime): any {
    const now = rfc3339(new Date());
    const inits = rt.containers.filter((c) => c.kind !== 'regular');
    const regular = rt.containers.filter((c) => c.kind === 'regular');
    const phase = this.phase(rt);
    const condition = (type: string, ok: boolean, reason?: string, message?: string) => {
      const status = ok ? 'True' : 'False';
      const previous = rt.conditions.get(type);
      const time = previous?.status === status ? previous.time : now;
      rt.conditions.set(type, { status, time });
      return { type, status, ...(ok ? {} : { reason, message }), lastProbeTime: null, lastTransitionTime: time };
    };
    const incomplete = inits.filter((c) => (c.kind === 'init' ? !c.done : !c.everStarted)).map((c) => c.name);
    const unready = [...inits.filter((c) => c.kind === 'sidecar'), ...regular].filter((c) => !c.ready).map((c) => c.name);
    const completed = TERMINAL.has(phase);
    const ready = !completed && rt.initialized && unready.length === 0;
    const readyReason = completed ? 'PodCompleted' : 'ContainersNotReady';
    const readyMessage = completed ? undefined : `containers with unready status: [${unready.join(' ')}]`;
    return {
      phase,
      hostIP: POD_IP,
      hostIPs: [{ ip: POD_IP }],
      // A hostNetwork pod has the node's IP from the start; another gets its own once its sandbox (here: its volumes and files) is there.
      ...(rt.prepared || rt.pod.spec.hostNetwork ? { podIP: POD_IP, podIPs: [{ ip: POD_IP }] } : {}),
      startTime: rfc3339(rt.startTime),
      conditions: [
        condition('PodReadyToStartContainers', rt.prepared !== undefined && !(rt.finalized && completed)),
        condition('Initialized', rt.initialized, 'ContainersNotInitialized', `containers with incomplete status: [${incomplete.join(' ')}]`),
        condition('ContainersReady', ready, readyReason, readyMessage),
        condition('Ready', ready, readyReason, readyMessage),
      ],
      ...(inits.length ? { initContainerStatuses: inits.map((c) => this.containerStatus(rt, c)) } : {}),
      containerStatuses: regular.map((c) => this.containerStatus(rt, c)),
    };
  }

  /**
   * The kubelet's getPhase: Pending until initialized (Failed if an init container failed under
   * restartPolicy Never); then from the regular containers only (sidecars do not count). Never a
   * terminal phase while a container still runs (the status manager holds it back), never out of one.
   */
  private phase(rt: PodRuntime): string {
    if (TERMINAL.has(rt.phase)) return rt.phase;
    let phase: string;
    if (!rt.initialized) {
      phase = rt.containers.some((c) => c.failed) ? 'Failed' : 'Pending';
    } else {
      let running = 0;
      let waiting = 0;
      let stopped = 0;
      let succeeded = 0;
      for (const c of rt.containers.filter((x) => x.kind === 'regular')) {
        if (c.running) running++;
        else if (c.terminations.length === 0) waiting++;
        else {
          stopped++;
          if (c.terminations[c.terminations.length - 1].exitCode === 0) succeeded++;
        }
      }
      const policy = rt.pod.spec.restartPolicy ?? 'Always';
      if (waiting > 0) phase = 'Pending';
      else if (running > 0) phase = 'Running';
      else if (rt.finalized) phase = stopped === succeeded ? 'Succeeded' : 'Failed';
      else if (policy === 'Always') phase = 'Running';
      else if (stopped === succeeded) phase = 'Succeeded';
      else if (policy === 'Never') phase = 'Failed';
      else phase = 'Running';
    }
    // A pod stopped before it completed (deleted, gone) ends Failed.
    if (rt.finalized && !TERMINAL.has(phase)) phase = 'Failed';
    if (TERMINAL.has(phase) && !rt.finalized) phase = rt.phase === 'Pending' && rt.initialized ? 'Running' : rt.phase;
    rt.phase = phase;
    return phase;
  }

  private containerStatus(rt: PodRuntime, c: ContainerRuntime): any {
    const last = c.terminations[c.terminations.length - 1];
    let state: any;
    let lastState: any = last ? { terminated: last } : {};
    if (!rt.prepared && rt.waiting) {
      state = { waiting: rt.waiting };
    } else if (c.running) {
      state = { running: { startedAt: rfc3339(c.record.startedAt!) } };
    } else if (c.waiting) {
      state = { waiting: c.waiting };
    } else if (last) {
      state = { terminated: last };
      const before = c.terminations[c.terminations.length - 2];
      lastState = before ? { terminated: before } : {};
    } else {
      state = { waiting: { reason: c.kind === 'regular' && rt.initialized ? 'ContainerCreating' : 'PodInitializing' } };
    }
    const image = this.options.images[normalizeImage(c.spec.image)];
    return {
      name: c.name,
      image: c.spec.image,
      imageID: `process-kubelet://${image === undefined ? 'unknown' : typeof image === 'string' ? image : image.rootfs}`,
      ...(c.record.pid ? { containerID: `process://${c.record.pid}` } : {}),
      ready: c.ready,
      started: c.running && c.started,
      restartCount: c.record.restartCount,
      state,
      lastState,
    };
  }

  // Container preparation -----------------------------------------------------------------------

  /** The image of a container, or ErrImagePull. */
  private image(name: string): string | RootfsImage {
    const image = this.options.images[normalizeImage(name)];
    if (!image) throw new PodStartError('ErrImagePull', `image "${name}" is not available on ${this.nodeName} (it has ${Object.keys(this.options.images).join(', ')})`);
    return image;
  }

  private keyReader(namespace: string): KeyReader {
    return async (kind, name) => {
      const object = await this.api.getIfExists(`/api/v1/namespaces/${namespace}/${kind === 'secret' ? 'secrets' : 'configmaps'}/${name}`);
      if (!object) return undefined;
      if (kind === 'secret') return Object.fromEntries(Object.entries<string>(object.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
      return { ...object.data, ...Object.fromEntries(Object.entries<string>(object.binaryData ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('latin1')])) };
    };
  }

  /** Environment, command, user and the isolation script of one container. */
  private async prepareContainer(rt: PodRuntime, c: ContainerRuntime): Promise<PreparedContainer> {
    const { pod } = rt;
    const prepared = rt.prepared!;
    const spec = pod.spec;
    const container = c.spec;
    const image = this.image(container.image);
    const securityContext = { ...spec.securityContext, ...container.securityContext };

    // Environment: the `kubernetes` Service's variables (always set, enableServiceLinks or not), as this node reaches it.
    const serviceEnv = {
      KUBERNETES_SERVICE_HOST: POD_IP, KUBERNETES_SERVICE_PORT: '443', KUBERNETES_SERVICE_PORT_HTTPS: '443',
      KUBERNETES_PORT: `tcp://${POD_IP}:443`, KUBERNETES_PORT_443_TCP: `tcp://${POD_IP}:443`, KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
      KUBERNETES_PORT_443_TCP_PORT: '443', KUBERNETES_PORT_443_TCP_ADDR: POD_IP,
    };
    const kubeEnv = await containerEnv(pod, container, this.keyReader(rt.record.namespace), serviceEnv);
    const expand = (s: string) => expandVars(s, kubeEnv);

    const mounts: PodMount[] = [];
    for (const mount of container.volumeMounts ?? []) {
      const volume = prepared.volumeSources.get(mount.name);
      if (!volume) throw new PodStartError('CreateContainerConfigError', `volumeMount ${mount.name}: no such volume`);
      const source = mount.subPath ? path.join(volume.source, mount.subPath) : volume.source;
      if (mount.subPath && !fs.existsSync(source)) {
        // Made when the container starts (after the init containers), with the volume's mode, as the kubelet makes a missing subPath.
        fs.mkdirSync(source, { recursive: true });
        fs.chmodSync(source, fs.statSync(volume.source).mode & 0o7777);
      }
      mounts.push({ target: mount.mountPath, source, readOnly: volume.readOnly || mount.readOnly === true, kind: fs.statSync(source).isDirectory() ? 'dir' : 'file' });
    }
    const supplementary = [
      ...(spec.securityContext?.fsGroup !== undefined ? [spec.securityContext.fsGroup] : []),
      ...(spec.securityContext?.supplementalGroups ?? []),
      ...prepared.volumeGroups,
    ];
    const scratchDir = path.join(c.dir, 'scratch');
    const etc = (file: string) => path.join(prepared.etcDir, file);

    if (typeof image === 'string') {
      // apache/spark:<version>: the machine's root, with the distribution and entrypoint mounted where the image has them.
      const uid: number = securityContext.runAsUser ?? IMAGE_USER;
      // runAsUser without runAsGroup: that user's group in the image's /etc/passwd (the pod's etc/passwd), else 0, as a container runtime resolves it.
      const gid: number = securityContext.runAsGroup ?? (securityContext.runAsUser !== undefined ? passwdEntry(rt.podDir, String(uid))?.gid ?? 0 : IMAGE_USER);
      const env = {
        PATH: `${this.options.javaHome}/bin:${DEFAULT_PATH}`,
        JAVA_HOME: this.options.javaHome,
        SPARK_HOME: IMAGE_SPARK_HOME,
        LANG: 'C.UTF-8',
        HOME: '/home/spark',
        HOSTNAME: prepared.hostname,
        ...kubeEnv,
      };
      // Command: the image's ENTRYPOINT unless `command` replaces it, with $(VAR) expanded in both.
      const argv = container.command
        ? [...container.command.map(expand), ...(container.args ?? []).map(expand)]
        : ['/opt/entrypoint.sh', ...(container.args ?? []).map(expand)];
      const script = podStartScript({
        mounts: [
          { target: IMAGE_SPARK_HOME, source: image, readOnly: true, kind: 'dir' },
          { target: '/opt/entrypoint.sh', source: SPARK_ENTRYPOINT, readOnly: true, kind: 'file' },
          ...Object.entries(this.options.imageFolders ?? {}).map(([target, source]): PodMount => ({ target, source, readOnly: true, kind: 'dir' })),
          { target: '/etc/hosts', source: etc('hosts'), readOnly: false, kind: 'file' },
          { target: '/etc/passwd', source: etc('passwd'), readOnly: true, kind: 'file' },
          { target: '/etc/group', source: etc('group'), readOnly: true, kind: 'file' },
          ...mounts,
        ],
        scratchDir,
        hostname: prepared.hostname,
        workingDir: container.workingDir ?? IMAGE_WORKDIR,
        uid,
        gid,
        groups: [gid, ...supplementary],
        readOnlyRootFilesystem: securityContext.readOnlyRootFilesystem === true,
        capabilities: grantedCapabilities(container.securityContext?.capabilities, uid),
      });
      return { argv, env, script, uid, gid };
    }

    // A rootfs image: its root under an overlay, its config's Entrypoint, Cmd, Env, User, WorkingDir.
    if (!fs.existsSync(image.rootfs)) throw new PodStartError('ErrImagePull', `image "${container.image}": no root filesystem at ${image.rootfs}`);
    const config = image.config ?? {};
    const imageEnv: Record<string, string> = {};
    for (const entry of config.Env ?? []) {
      const at = entry.indexOf('=');
      if (at > 0) imageEnv[entry.slice(0, at)] = entry.slice(at + 1);
    }
    const user = imageUser(image.rootfs, config.User);
    const uid: number = securityContext.runAsUser ?? user.uid;
    const gid: number = securityContext.runAsGroup ?? (securityContext.runAsUser !== undefined ? passwdEntry(image.rootfs, String(uid))?.gid ?? 0 : user.gid);
    if (securityContext.runAsNonRoot === true && uid === 0) {
      throw new PodStartError('CreateContainerConfigError', 'container has runAsNonRoot and image will run as root');
    }
    const env = {
      PATH: DEFAULT_PATH,
      ...imageEnv,
      HOSTNAME: prepared.hostname,
      ...(imageEnv.HOME ? {} : { HOME: passwdEntry(image.rootfs, String(uid))?.home ?? '/' }),
      ...kubeEnv,
    };
    // Command, as Kubernetes combines it with the image's: `command` replaces Entrypoint (and drops Cmd), `args` replaces Cmd.
    const entrypoint = container.command ? container.command.map(expand) : [...(config.Entrypoint ?? [])];
    const args = container.args ? container.args.map(expand) : container.command ? [] : [...(config.Cmd ?? [])];
    const argv = [...entrypoint, ...args];
    if (argv.length === 0) throw new PodStartError('CreateContainerError', `no command specified (the image ${container.image} has no Entrypoint or Cmd)`);
    const script = rootfsStartScript({
      rootfs: image.rootfs,
      mounts: [
        { target: '/etc/hosts', source: etc('hosts'), readOnly: false, kind: 'file' },
        { target: '/etc/hostname', source: etc('hostname'), readOnly: false, kind: 'file' },
        ...mounts,
      ],
      scratchDir,
      hostname: prepared.hostname,
      workingDir: container.workingDir ?? (config.WorkingDir || '/'),
      uid,
      gid,
      groups: [gid, ...supplementary],
      readOnlyRootFilesystem: securityContext.readOnlyRootFilesystem === true,
      capabilities: grantedCapabilities(container.securityContext?.capabilities, uid),
    });
    return { argv, env, script, uid, gid };
  }

  /** Where the node's path `hostPath` (absolute) is on this machine: under hostPathRoot. */
  hostPathDir(hostPath: string): string {
    if (!path.posix.isAbsolute(hostPath) || hostPath.split('/').includes('..')) {
      throw new Error(`hostPath ${JSON.stringify(hostPath)}: must be an absolute path without '..'`);
    }
    return path.join(this.hostPathRoot, hostPath);
  }

  /**
   * A hostPath volume's file or folder under hostPathRoot, checked (and made) by its type as the
   * kubelet's hostPath plugin does: a failed check leaves the pod waiting (ContainerCreating, retried).
   */
  private setUpHostPath(volume: any): string {
    const { path: nodePath, type = '' } = volume.hostPath;
    const source = this.hostPathDir(nodePath);
    const typeCheckFailed = (what: string) =>
      new PodStartError('ContainerCreating', `MountVolume.SetUp failed for volume "${volume.name}" : hostPath type check failed: ${nodePath} is not a ${what}`);
    this.checkInsideHostPathRoot(source, nodePath);
    const stat = fs.statSync(source, { throwIfNoEntry: false });
    switch (type) {
      case '': // no check; but a missing path is made a folder, as containerd does with a bind mount's missing source
      case 'DirectoryOrCreate':
        if (!stat) fs.mkdirSync(source, { recursive: true, mode: 0o755 });
        else if (type && !stat.isDirectory()) throw typeCheckFailed('directory');
        break;
      case 'Directory':
        if (!stat?.isDirectory()) throw typeCheckFailed('directory');
        break;
      case 'FileOrCreate':
        if (!stat) {
          // Its folder must exist: the kubelet makes the file, not its parents.
          try {
            fs.writeFileSync(source, '', { flag: 'wx', mode: 0o644 });
          } catch (error) {
            throw new PodStartError('ContainerCreating', `MountVolume.SetUp failed for volume "${volume.name}" : ${(error as Error).message}`);
          }
        } else if (!stat.isFile()) {
          throw typeCheckFailed('file');
        }
        break;
      case 'File':
        if (!stat?.isFile()) throw typeCheckFailed('file');
        break;
      default:
        throw new PodStartError('CreateContainerConfigError', `volume ${volume.name}: hostPath type ${type} is not supported by the process kubelet ("", Directory, DirectoryOrCreate, File, FileOrCreate are)`);
    }
    this.checkInsideHostPathRoot(source, nodePath);
    return source;
  }

  /** A symbolic link a pod left under hostPathRoot must not lead a hostPath volume to this machine's own files. */
  private checkInsideHostPathRoot(source: string, nodePath: string): void {
    let existing = source;
    while (!fs.existsSync(existing)) existing = path.dirname(existing);
    const real = fs.realpathSync(existing);
    const root = fs.realpathSync(this.hostPathRoot);
    if (real !== root && !real.startsWith(root + path.sep)) {
      throw new PodStartError('CreateContainerConfigError', `hostPath ${nodePath}: resolves to ${real}, outside the node's root ${root} (a symbolic link leads out of it)`);
    }
  }

  /**
   * A persistentVolumeClaim volume, as the kubelet's volume manager resolves it (and with its words
   * while it waits): the claim, in the pod's namespace, must be Bound and name its volume; that
   * PersistentVolume must be bound back to it (claimRef.uid). A hostPath PV is then set up as a
   * hostPath volume (its type checked, DirectoryOrCreate made; no fsGroup), a `local` PV is its
   * path, which must exist, under hostPathRoot, its ownership given to the pod's fsGroup as the
   * kubelet's local plugin does. Other PV sources cannot be mounted on this machine: refused.
   */
  private async setUpClaim(rt: PodRuntime, volume: any): Promise<ClaimVolume> {
    const { namespace } = rt.record;
    const { claimName, readOnly = false } = volume.persistentVolumeClaim;
    const notYet = (why: string) => new PodStartError('ContainerCreating', `error processing PVC ${namespace}/${claimName}: ${why}`);
    const fetched = async (apiPath: string) => {
      const { status, body } = await this.api.raw('GET', apiPath);
      return status >= 200 && status < 300 ? { object: body } : { error: body?.message ?? `HTTP ${status}` };
    };
    const claimAnswer = await fetched(`/api/v1/namespaces/${namespace}/persistentvolumeclaims/${encodeURIComponent(claimName)}`);
    if (!claimAnswer.object) throw notYet(`failed to fetch PVC from API server: ${claimAnswer.error}`);
    const claim = claimAnswer.object;
    // A claim being deleted that its pvc-protection finalizer no longer holds is not used (one still held is: its pods keep it).
    if (claim.metadata.deletionTimestamp && !(claim.metadata.finalizers ?? []).includes('kubernetes.io/pvc-protection')) throw notYet('PVC is being deleted');
    if (claim.status?.phase !== 'Bound') throw notYet('PVC is not bound');
    const name: string | undefined = claim.spec.volumeName;
    if (!name) throw notYet('PVC has empty pvc.Spec.VolumeName');
    const volumeAnswer = await fetched(`/api/v1/persistentvolumes/${encodeURIComponent(name)}`);
    if (!volumeAnswer.object) throw notYet(`failed to fetch PV ${name} from API server: ${volumeAnswer.error}`);
    const pv = volumeAnswer.object;
    if (!pv.spec.claimRef) throw notYet(`found PV object ${name} but it has a nil pv.Spec.ClaimRef indicating it is not yet bound to the claim`);
    if (pv.spec.claimRef.uid !== claim.metadata.uid) {
      throw notYet(`found PV object ${name} but its pv.Spec.ClaimRef.UID ${pv.spec.claimRef.uid} does not point to claim.UID ${claim.metadata.uid}`);
    }
    if ((pv.spec.volumeMode ?? 'Filesystem') !== 'Filesystem') {
      throw new PodStartError('CreateContainerConfigError', `volume ${volume.name}: PersistentVolume "${name}" has volumeMode ${pv.spec.volumeMode}; the process kubelet mounts only Filesystem volumes (no volumeDevices)`);
    }
    // As the kubelet's mount operation: a PV pinned to other nodes is not mounted here (the scheduler would not have put the pod here).
    if (pv.spec.nodeAffinity?.required && !matchesNodeSelectorTerms(pv.spec.nodeAffinity.required.nodeSelectorTerms ?? [], this.nodeLabels, this.nodeName)) {
      throw new PodStartError('ContainerCreating', `MountVolume.NodeAffinity check failed for volume "${name}" : no matching NodeSelectorTerms`);
    }
    // pv.beta.kubernetes.io/gid: a group the kubelet adds to the pod's containers (how an admin lets a pod write to a PV it does not own).
    const gidAnnotation = pv.metadata.annotations?.['pv.beta.kubernetes.io/gid'];
    const supplementalGroup = gidAnnotation !== undefined && /^\d+$/.test(gidAnnotation) ? Number(gidAnnotation) : undefined;
    if (pv.spec.hostPath) {
      // The hostPath plugin, as for a pod's own hostPath volume: no fsGroup ownership (the folder's owner decides who writes).
      return { source: this.setUpHostPath({ name, hostPath: pv.spec.hostPath }), readOnly, persistentVolume: name, supplementalGroup };
    }
    if (pv.spec.local) {
      const nodePath: string = pv.spec.local.path;
      const source = this.hostPathDir(nodePath);
      this.checkInsideHostPathRoot(source, nodePath);
      // The local plugin makes nothing: the admin (or a provisioner) has made the path.
      if (!fs.existsSync(source)) throw new PodStartError('ContainerCreating', `MountVolume.NewMounter initialization failed for volume "${name}" : path "${nodePath}" does not exist`);
      this.applyLocalVolumeOwnership(rt, name, source, readOnly);
      return { source, readOnly, persistentVolume: name, supplementalGroup };
    }
    const kind = Object.keys(pv.spec).find((key) => !PERSISTENT_VOLUME_SPEC_FIELDS.has(key)) ?? 'no source';
    throw new PodStartError(
      'CreateContainerConfigError',
      `volume ${volume.name}: PersistentVolume "${name}" (claim ${claimName}) is backed by ${kind}, which the process kubelet cannot mount (hostPath and local PersistentVolumes it can)`,
    );
  }

  /**
   * The local plugin's ownership management: with an fsGroup, a read-write mount that no other pod
   * of the node has mounted gets the group recursively (fsGroupChangePolicy honoured); a later pod
   * with another fsGroup finds the volume as it is (the kubelet warns: "may not be shareable").
   */
  private applyLocalVolumeOwnership(rt: PodRuntime, persistentVolume: string, source: string, readOnly: boolean): void {
    const fsGroup: number | undefined = rt.pod.spec.securityContext?.fsGroup;
    if (fsGroup === undefined || readOnly) return;
    const mountedElsewhere = [...this.pods.values()].some((other) => other !== rt && !other.finalized && other.prepared?.persistentVolumes.includes(persistentVolume));
    if (mountedElsewhere) {
      const gid = fs.statSync(source).gid;
      if (gid !== fsGroup) this.log(`${rt.record.namespace}/${rt.record.name}: the requested fsGroup is ${fsGroup}, but the volume ${persistentVolume} has GID ${gid}. The volume may not be shareable.`);
      return;
    }
    setVolumeOwnership(source, fsGroup, false, rt.pod.spec.securityContext?.fsGroupChangePolicy);
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
      `volume ${volume.name}: ${Object.keys(volume).filter((k) => k !== 'name').join(',')} volumes are not supported by the process kubelet (emptyDir, configMap, secret, downwardAPI, projected, hostPath, persistentVolumeClaim are)`,
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
      let alive = false;
      for (const c of runtime.containers) {
        if (!c.running || !c.record.pid) continue;
        alive = true;
        processes++;
        const bytes = rssByGroup.get(c.record.pid) ?? 0;
        c.record.peakRssBytes = Math.max(c.record.peakRssBytes, bytes);
        rss += bytes;
      }
      if (alive && runtime.record.role) byRole[runtime.record.role] = (byRole[runtime.record.role] ?? 0) + 1;
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

  /** Pids of the container processes still alive. */
  livePids(): number[] {
    return [...this.pods.values()].flatMap((r) => r.containers.filter((c) => c.running && c.record.pid).map((c) => c.record.pid!));
  }

  /** A container's log (what `kubectl logs [-c container]` shows; default: the main container), or '' when it has none. */
  logOf(namespace: string, podName: string, container?: string): string {
    const record = this.records().reverse().find((r) => r.namespace === namespace && r.name === podName);
    const file = container === undefined ? record?.logFile : record?.containers.find((c) => c.name === container)?.logFile;
    return file && fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  }

  /** Stops every pod (SIGTERM, regular containers before sidecars; SIGKILL after `graceMs`), removes the node and its Lease. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.syncing;
    const live = [...this.pods.values()].filter((r) => this.podAlive(r));
    for (const runtime of live) this.shutDown(runtime, graceMs / 1000, 'the kubelet stops');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(live.map((r) => r.finalizedPromise)), new Promise((resolve) => (timer = setTimeout(resolve, graceMs + 5000)))]);
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
    // The node's disk goes with the node; a root the caller gave is the caller's.
    if (this.options.hostPathRoot === undefined) fs.rmSync(this.hostPathRoot, { recursive: true, force: true });
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

  /** A PersistentVolume the test made (cluster-wide, so no namespace takes it away): should the test process die, the watchdog deletes it. */
  ownPersistentVolume(name: string): void {
    fs.appendFileSync(this.persistentVolumesFile, `${name}\n`);
  }

  private get persistentVolumesFile(): string {
    return path.join(this.runDir, 'persistentvolumes');
  }

  /** SIGKILL every container process group still alive. */
  private killAllSync(): void {
    for (const pid of this.livePids()) signalGroup(pid, 'SIGKILL');
  }


  /**
   * A small detached process that outlives this one only to clean up after it: when this process
   * is gone without stop() (killed, interrupted, crashed), it force-deletes the pods bound to the
   * node, the node and its Lease, the namespaces given to ownNamespace() and the PersistentVolumes given
   * to ownPersistentVolume(). (The pod processes themselves die with this process: PDEATHSIG.)
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
        WATCH_PERSISTENT_VOLUMES_FILE: this.persistentVolumesFile,
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
  let volumes = [];
  try { volumes = require('fs').readFileSync(env.WATCH_PERSISTENT_VOLUMES_FILE, 'utf8').split('\\n').filter(Boolean); } catch {}
  for (const volume of volumes) await call('DELETE', '/api/v1/persistentvolumes/' + volume);
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

/** The fields of a PersistentVolume's spec that are not its source (what is left names the kind of storage). */
const PERSISTENT_VOLUME_SPEC_FIELDS = new Set([
  'accessModes', 'capacity', 'claimRef', 'mountOptions', 'nodeAffinity', 'persistentVolumeReclaimPolicy', 'storageClassName', 'volumeAttributesClassName', 'volumeMode',
]);

/**
 * What the kubelet does to a volume that supports ownership management for a pod with an fsGroup
 * (k8s.io/kubernetes pkg/volume/volume_linux.go): every file and folder gets the group fsGroup (its
 * owner kept) and group read-write (read only on a read-only volume); folders also group execute and
 * setgid, so that what the pod makes joins the group. Symbolic links only change group. With
 * fsGroupChangePolicy OnRootMismatch, nothing at all when the volume's root already has all that.
 */
function setVolumeOwnership(dir: string, fsGroup: number, readOnly: boolean, changePolicy: string | undefined): void {
  const mask = readOnly ? 0o440 : 0o660;
  if (changePolicy === 'OnRootMismatch') {
    const root = fs.statSync(dir);
    const wanted = mask | 0o110;
    if (root.isDirectory() && root.gid === fsGroup && (root.mode & wanted) === wanted && (root.mode & 0o2000) !== 0) return;
  }
  const change = (file: string) => {
    const stat = fs.lstatSync(file);
    if (stat.isDirectory()) for (const name of fs.readdirSync(file)) change(path.join(file, name));
    fs.lchownSync(file, stat.uid, fsGroup);
    if (stat.isSymbolicLink()) return;
    fs.chmodSync(file, (stat.mode & 0o7777) | mask | (stat.isDirectory() ? 0o2110 : 0));
  };
  change(dir);
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

interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

function readLines(file: string): string[][] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
  } catch {
    return [];
  }
}

/** The rootfs' /etc/passwd entry of a user name or uid. */
function passwdEntry(rootfs: string, user: string): PasswdEntry | undefined {
  const numeric = /^\d+$/.test(user);
  const fields = readLines(path.join(rootfs, 'etc', 'passwd')).find((f) => (numeric ? f[2] === user : f[0] === user));
  return fields && { name: fields[0], uid: Number(fields[2]), gid: Number(fields[3]), home: fields[5] || '/' };
}

/** The uid and gid an image's `User` (uid, uid:gid, name, name:group) runs as, resolved in its rootfs as a container runtime does. */
function imageUser(rootfs: string, user: string | undefined): { uid: number; gid: number } {
  if (!user) return { uid: 0, gid: 0 };
  const [name, group] = user.split(':', 2);
  const entry = passwdEntry(rootfs, name);
  let uid: number;
  if (/^\d+$/.test(name)) uid = Number(name);
  else if (entry) uid = entry.uid;
  else throw new PodStartError('CreateContainerError', `unable to find user ${name}: no matching entries in the image's /etc/passwd`);
  if (group === undefined) return { uid, gid: entry?.gid ?? 0 };
  if (/^\d+$/.test(group)) return { uid, gid: Number(group) };
  const fields = readLines(path.join(rootfs, 'etc', 'group')).find((f) => f[0] === group);
  if (!fields) throw new PodStartError('CreateContainerError', `unable to find group ${group}: no matching entries in the image's /etc/group`);
  return { uid, gid: Number(fields[2]) };
}
