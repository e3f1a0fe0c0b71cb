// Running a SparkApplication rendered by the library for real: the process node with real Spark
// distributions, the application applied (server-side, strict) into a fresh Pod-Security-restricted
// namespace, and a timeline of what the API server shows while it runs.
import * as fs from 'fs';
import * as path from 'path';
import { renderSparkApplication, type SparkApplicationSpec } from '../../../lib/core';
import { apply, createRestrictedNamespace, type KubeObj } from '../../integration/support/kube';
import { KubeApi, suiteKubeApi } from './kube-api';
import { E2E_CACHE, PROCESS_NODE_SELECTOR, ProcessKubelet, type KubeletStats, type RootfsImage } from './process-kubelet';
import { run, sleep, waitUntil } from './run';
import { ensureJobsJar, ensureSparkHome, javaHome, type SparkDistribution } from './spark-home';

/** The process node and the Spark it runs, for one test file. */
export interface ProcessNode {
  readonly api: KubeApi;
  readonly kubelet: ProcessKubelet;
  readonly dists: Record<string, SparkDistribution>;
  /**
   * The e2e jobs jar compiled against each version, as a path inside the image (where pods see it:
   * a host path could be hidden by the pod's own /tmp).
   */
  readonly jobsJars: Record<string, string>;
}

/** Where the images carry the e2e jobs jars, as an application image would carry its jar. */
const IMAGE_JOBS_FOLDER = '/opt/sparkplane-e2e/jobs';

/** Installs (once) the Spark versions and the jobs jar, and starts the process kubelet with an image per version (plus `extraImages`). */
export async function startProcessNode(versions: readonly string[], extraImages: Readonly<Record<string, RootfsImage>> = {}): Promise<ProcessNode> {
  const jdk = await javaHome();
  const dists: Record<string, SparkDistribution> = {};
  const jobsJars: Record<string, string> = {};
  let jobsFolder: string | undefined;
  for (const version of versions) {
    dists[version] = await ensureSparkHome(version);
    const jar = await ensureJobsJar(dists[version], { javaHome: jdk });
    jobsFolder = path.dirname(jar);
    jobsJars[version] = `${IMAGE_JOBS_FOLDER}/${path.basename(jar)}`;
  }
  const api = suiteKubeApi();
  const kubelet = await ProcessKubelet.start({
    api,
    javaHome: jdk,
    images: { ...Object.fromEntries(versions.map((v) => [sparkImage(v), dists[v].sparkHome])), ...extraImages },
    imageFolders: jobsFolder ? { [IMAGE_JOBS_FOLDER]: jobsFolder } : {},
  });
  await waitUntil(async () => {
    const node = await api.get(`/api/v1/nodes/${kubelet.nodeName}`);
    const ready = node.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');
    return ready && (node.spec.taints ?? []).length === 0;
  }, 60_000, `node ${kubelet.nodeName} Ready with no taint (the node lifecycle controller lifts not-ready)`);
  return { api, kubelet, dists, jobsJars };
}

/** Stops the kubelet (every process) and checks that no Spark JVM is left on the machine. */
export async function stopProcessNode(node: ProcessNode | undefined): Promise<void> {
  if (!node) return;
  await node.kubelet.stop();
  node.api.close();
}

/** A fresh Pod-Security-restricted namespace, removed by the kubelet's watchdog should the run die. */
export async function createNamespace(node: ProcessNode): Promise<string> {
  const namespace = await createRestrictedNamespace('sp-e2e');
  node.kubelet.ownNamespace(namespace);
  return namespace;
}

export const sparkImage = (version: string) => `apache/spark:${version}`;

/**
 * A spec for the process node: the given version's image, driver and executors selected onto the
 * process node, small JVMs (512m each: the library's floor for drivers, above the executors' 450m).
 */
export function processNodeSpec(spec: Omit<SparkApplicationSpec, 'image'> & { image?: string }): SparkApplicationSpec {
  return {
    ...spec,
    image: spec.image ?? sparkImage(spec.sparkVersion),
    driver: { memory: '512m', ...spec.driver, nodeSelector: { ...PROCESS_NODE_SELECTOR, ...spec.driver?.nodeSelector } },
    executor: { memory: '512m', ...spec.executor, nodeSelector: { ...PROCESS_NODE_SELECTOR, ...spec.executor?.nodeSelector } },
  };
}

/** What the API server showed while an application ran, sampled every 250 ms. */
export interface Timeline {
  readonly namespace: string;
  readonly objects: KubeObj[];
  readonly applyStderr: string;
  /** Seconds from apply to the Job's Complete or Failed condition. */
  seconds: number;
  job?: KubeObj;
  /** The driver pods, as last seen (the last one is the final driver). */
  drivers: Map<string, KubeObj>;
  /** Every executor pod, as first seen. */
  executorsFirstSeen: Map<string, KubeObj>;
  /** Every executor pod, as last seen before it disappeared (or now). */
  executorsLastSeen: Map<string, KubeObj>;
  /** Names of the executor pods that were seen Running. */
  executorsSeenRunning: Set<string>;
  /** [seconds since apply, executor pods present and not being deleted] at each change. */
  executorCounts: Array<[number, number]>;
  /** Most executor pods present (not being deleted) at once. */
  peakExecutors: number;
  /** Executor pods present (not being deleted) while a driver was still running, at its last sample. */
  executorsBeforeDriverEnded?: number;
  /** Executor pods present at the end (after the Job finished and they were given time to go). */
  executorsAtEnd: number;
  figures: KubeletStats;
}

export interface RunOptions {
  /** Fail when the Job has not finished after this long. @default 300 s */
  readonly timeoutMs?: number;
  /** After the Job finishes, wait this long at most for executor pods to be gone. @default 60 s */
  readonly executorsGoneTimeoutMs?: number;
  /** Leave these rendered objects out of the apply (fault tests). */
  readonly omitKinds?: readonly string[];
  /** Run in this namespace (made by the test, e.g. at another Pod Security level). @default - a fresh restricted one */
  readonly namespace?: string;
}

/**
 * Renders the spec into a fresh restricted namespace, applies it, and follows it until its Job is
 * Complete or Failed and its executor pods are gone. Never throws for the application's own failure:
 * the timeline says what happened.
 */
export async function runApplication(node: ProcessNode, spec: SparkApplicationSpec, options: RunOptions = {}): Promise<Timeline> {
  const namespace = options.namespace ?? (await createNamespace(node));
  const objects = renderSparkApplication({ ...spec, namespace }) as KubeObj[];
  node.kubelet.resetFigures();
  const started = Date.now();
  const applied = apply(objects.filter((o) => !(options.omitKinds ?? []).includes(o.kind)), { namespace });
  const timeline: Timeline = {
    namespace,
    objects,
    applyStderr: applied.stderr,
    seconds: 0,
    drivers: new Map(),
    executorsFirstSeen: new Map(),
    executorsLastSeen: new Map(),
    executorsSeenRunning: new Set(),
    executorCounts: [],
    peakExecutors: 0,
    executorsAtEnd: 0,
    figures: node.kubelet.figures(),
  };
  const jobName = objects.find((o) => o.kind === 'Job')!.metadata.name;
  const deadline = Date.now() + (options.timeoutMs ?? 300_000);
  let finishedAt: number | undefined;
  for (;;) {
    const pods = await node.api.pods({ namespace });
    const executors = pods.filter((p) => p.metadata.labels?.['spark-role'] === 'executor');
    const drivers = pods.filter((p) => p.metadata.labels?.['batch.kubernetes.io/job-name'] === jobName);
    for (const driver of drivers) timeline.drivers.set(driver.metadata.name, driver);
    for (const executor of executors) {
      if (!timeline.executorsFirstSeen.has(executor.metadata.name)) timeline.executorsFirstSeen.set(executor.metadata.name, executor);
      timeline.executorsLastSeen.set(executor.metadata.name, executor);
      if (executor.status?.phase === 'Running') timeline.executorsSeenRunning.add(executor.metadata.name);
    }
    const live = executors.filter((p) => !p.metadata.deletionTimestamp).length;
    const last = timeline.executorCounts[timeline.executorCounts.length - 1];
    if (!last || last[1] !== live) timeline.executorCounts.push([(Date.now() - started) / 1000, live]);
    timeline.peakExecutors = Math.max(timeline.peakExecutors, live);
    if (drivers.some((d) => d.status?.phase === 'Running')) timeline.executorsBeforeDriverEnded = live;

    if (finishedAt === undefined) {
      const job = await node.api.get(`/apis/batch/v1/namespaces/${namespace}/jobs/${jobName}`);
      const done = (job.status?.conditions ?? []).find((c: any) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
      if (done) {
        timeline.job = job;
        timeline.seconds = (Date.now() - started) / 1000;
        finishedAt = Date.now();
      } else if (Date.now() > deadline) {
        timeline.job = job;
        timeline.seconds = (Date.now() - started) / 1000;
        throw new Error(`Job ${namespace}/${jobName} did not finish within ${(options.timeoutMs ?? 300_000) / 1000} s; kubelet logs in ${node.kubelet.logDir}`);
      }
    }
    if (finishedAt !== undefined) {
      timeline.executorsAtEnd = executors.length;
      if (executors.length === 0 || Date.now() - finishedAt > (options.executorsGoneTimeoutMs ?? 60_000)) break;
    }
    await sleep(250);
  }
  timeline.figures = node.kubelet.figures();
  return timeline;
}

/** The job condition ("Complete" or "Failed") the timeline ended with. */
export function jobOutcome(timeline: Timeline): string | undefined {
  return (timeline.job?.status?.conditions ?? []).find((c: any) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')?.type;
}

/** The final driver pod. */
export function finalDriver(timeline: Timeline): KubeObj {
  const drivers = [...timeline.drivers.values()];
  if (drivers.length === 0) throw new Error(`no driver pod was seen in ${timeline.namespace}`);
  return drivers[drivers.length - 1];
}

/** `kubectl logs` of a pod: through the API server, which asks the process kubelet's log endpoint. */
export async function podLogs(api: KubeApi, namespace: string, pod: string): Promise<string> {
  return api.request<string>('GET', `/api/v1/namespaces/${namespace}/pods/${pod}/log`);
}

/** Java processes of Spark still alive on the machine (pgrep -f), as "pid command" lines. */
export async function leftoverSparkJvms(): Promise<string[]> {
  const found: string[] = [];
  for (const pattern of ['KubernetesExecutorBackend', 'org.apache.spark.deploy.SparkSubmit']) {
    const result = await run('pgrep', ['-af', pattern], { timeoutMs: 10_000 });
    found.push(...result.stdout.split('\n').filter((l) => l.trim() && !l.includes('pgrep')));
  }
  return found;
}

const FIGURES_FILE = path.join(E2E_CACHE, 'figures.json');

/** Keeps a run's figures in .cache/e2e/figures.json (one entry per name) and prints them. */
export function recordFigures(name: string, figures: Record<string, unknown>): void {
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(fs.readFileSync(FIGURES_FILE, 'utf8'));
  } catch {
    // first figures
  }
  all[name] = { ...figures, recordedAt: new Date().toISOString() };
  fs.mkdirSync(path.dirname(FIGURES_FILE), { recursive: true });
  fs.writeFileSync(FIGURES_FILE, JSON.stringify(all, null, 2) + '\n');
  process.stderr.write(`[e2e] ${name}: ${JSON.stringify(figures)}\n`);
}

export const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);
