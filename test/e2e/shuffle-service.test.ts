// The external shuffle service (issue 6) with real Spark: the DaemonSet as rendered, on the process
// node (its root `prepare` container, Spark 4.0.5's own ExternalShuffleService, and the janitor from
// the sparkplane image), and applications on Spark 4.0.5 and 3.5.9 whose shuffle outlives the
// executors that wrote it: after stage 1, dynamic allocation removes every executor pod; stage 2
// runs on new executors that get the map output from the service (the map is not recomputed): on
// 4.0.5 as network fetches served by the service, on 3.5.9 read from the node's disk at the
// directories the service reports, as executors on one node do.
// Then the janitor removes the application's files once its driver pod has ended, and leaves alone
// those of a running pod and of a namespace it may not read. What this node cannot show: every pod
// here has the address 127.0.0.1, so host networking and host ports are not really exercised (the
// integration suite shows what the scheduler makes of them).
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import { freeLoopbackPort } from '../support/free-port';
import * as path from 'path';
import { renderExternalShuffleService, type ExternalShuffleServiceSpec } from '../../lib/core';
import { applyAcrossNamespaces, createNamespaceAtLevel, deleteNamespace, kubectl, type KubeObj } from '../integration/support/kube';
import { PROCESS_NODE_SELECTOR } from './support/process-kubelet';
import { waitUntil } from './support/run';
import {
  finalDriver, jobOutcome, leftoverSparkJvms, processNodeSpec, recordFigures, runApplication, startProcessNode, stopProcessNode,
  type ProcessNode, type Timeline,
} from './support/spark-app';
import { JOBS } from './support/spark-home';
import { ensureSparkplaneImage, SPARKPLANE_E2E_IMAGE } from './support/sparkplane-image';

const SERVICE_VERSION = '4.0.5';
const APP_VERSIONS = ['4.0.5', '3.5.9'];
const HOST_PATH = '/var/lib/sparkplane/shuffle';
const N = 20000;

let node: ProcessNode | undefined;
let service: ExternalShuffleServiceSpec;
let serviceObjects: KubeObj[];
let serviceNamespace: string;
let servicePod: KubeObj;
const appNamespaces: Record<string, string> = {};

async function metrics(): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`);
  return response.text();
}

function metricValue(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

beforeAll(async () => {
  const image = await ensureSparkplaneImage();
  node = await startProcessNode(APP_VERSIONS, { [SPARKPLANE_E2E_IMAGE]: image });
  for (const version of APP_VERSIONS) {
    appNamespaces[version] = await createNamespaceAtLevel('privileged', 'sp-e2e-shuffle-app');
    node.kubelet.ownNamespace(appNamespaces[version]);
  }
  serviceNamespace = `sp-e2e-shuffle-${randomUUID().slice(0, 8)}`;
  node.kubelet.ownNamespace(serviceNamespace);
  service = {
    name: 'shuffle',
    namespace: serviceNamespace,
    sparkVersion: SERVICE_VERSION,
    janitorImage: SPARKPLANE_E2E_IMAGE,
    applicationNamespaces: Object.values(appNamespaces),
    nodeSelector: PROCESS_NODE_SELECTOR,
    hostPath: HOST_PATH,
    port: await freeLoopbackPort('tcp'),
    metricsPort: await freeLoopbackPort('tcp'),
    statsdPort: await freeLoopbackPort('udp'),
    memory: '256m',
    janitor: { grace: '5s', interval: '1s' },
  };
  serviceObjects = renderExternalShuffleService(service) as KubeObj[];
  applyAcrossNamespaces(serviceObjects, serviceNamespace);
  servicePod = await waitUntil(async () => {
    const pods = await node!.api.pods({ namespace: serviceNamespace });
    const ready = pods.find((p) => (p.status?.containerStatuses ?? []).length === 2 && p.status.containerStatuses.every((c: any) => c.ready));
    return ready;
  }, 120_000, `the shuffle service's pod Ready on ${node.kubelet.nodeName} (service and janitor)`);
}, 10 * 60_000);

afterAll(async () => {
  await stopProcessNode(node);
  for (const namespace of [...Object.values(appNamespaces), serviceNamespace]) deleteNamespace(namespace);
  for (const object of serviceObjects ?? []) {
    if (object.kind === 'ClusterRole') kubectl(['delete', 'clusterrole', object.metadata.name, '--ignore-not-found'], { allowFailure: true });
  }
});

it('runs one pod on the process node: prepare made the directories Spark\'s user owns, the service listens, the janitor is ready', () => {
  expect(servicePod.spec.nodeName).toBe(node!.kubelet.nodeName);
  for (const dir of ['state', 'apps']) {
    const stat = fs.statSync(node!.kubelet.hostPathDir(`${HOST_PATH}/${dir}`));
    expect({ dir, uid: stat.uid, gid: stat.gid, mode: (stat.mode & 0o777).toString(8) }).toEqual({ dir, uid: 185, gid: 185, mode: '700' });
  }
  const log = node!.kubelet.logOf(serviceNamespace, servicePod.metadata.name, 'shuffle-service');
  expect(log).toMatch(new RegExp(`Starting shuffle service on port ${service.port}`));
  expect(log).toMatch(/Use ROCKSDB as the implementation of spark.shuffle.service.db.backend/);
  // log4j2.properties from the ConfigMap quiets RocksDB's JNI logger (hundreds of INFO lines otherwise).
  expect(log.split('\n').filter((l) => /RocksDBLogger/.test(l) && / INFO /.test(l))).toEqual([]);
});

describe.each(APP_VERSIONS)('an application on Spark %s', (version) => {
  let timeline: Timeline;
  let driverLog: string;
  let appDir: string | undefined;
  let shuffleFilesSeen = 0;
  let appDirGoneAfterDriverEnded: number | undefined;

  beforeAll(async () => {
    const namespace = appNamespaces[version];
    const appsRoot = node!.kubelet.hostPathDir(`${HOST_PATH}/apps/${namespace}`);
    // Watch the node's directory while the application runs: shuffle files appear under
    // <namespace>/<driver pod>_<uid>/<application id>/blockmgr-*/.
    const watcher = setInterval(() => {
      for (const entry of fs.existsSync(appsRoot) ? fs.readdirSync(appsRoot) : []) {
        appDir = path.join(appsRoot, entry);
        const files = listFiles(appDir).filter((f) => /shuffle_\d+_\d+_0\.data$/.test(f));
        shuffleFilesSeen = Math.max(shuffleFilesSeen, files.length);
      }
    }, 200);
    try {
      timeline = await runApplication(node!, processNodeSpec({
        name: 'outlives',
        sparkVersion: version,
        mainClass: JOBS.shuffleOutlives,
        mainApplicationFile: `local://${node!.jobsJars[version]}`,
        arguments: [String(N), '4', '120'],
        driver: { retries: 0 },
        dynamicAllocation: { minExecutors: 0, maxExecutors: 2, executorIdleTimeout: '5s', schedulerBacklogTimeout: '1s' },
        podSecurity: 'privileged',
        shuffleService: service,
        // All executors share this one node, so by default they read each other's files from disk,
        // after asking the service where they are (3.5.9 does). The 4.0.5 run fetches every block
        // through the service over the network, as executors on other nodes would.
        sparkConf: version === '4.0.5' ? { 'spark.shuffle.readHostLocalDisk': 'false' } : {},
      }), { namespace, timeoutMs: 420_000 });
    } finally {
      clearInterval(watcher);
    }
    driverLog = node!.kubelet.logOf(namespace, finalDriver(timeline).metadata.name);
    const ended = Date.now();
    await waitUntil(() => appDir !== undefined && !fs.existsSync(appDir), 60_000, `the janitor deleting ${appDir}`);
    appDirGoneAfterDriverEnded = (Date.now() - ended) / 1000;
    recordFigures(`shuffle service, application on ${version}`, {
      seconds: timeline.seconds,
      peakExecutorPods: timeline.peakExecutors,
      executorPodCounts: timeline.executorCounts.map(([t, n]) => `${t.toFixed(1)}s:${n}`).join(' '),
      shuffleDataFiles: shuffleFilesSeen,
      appDirGoneSecondsAfterJob: appDirGoneAfterDriverEnded,
    });
  }, 10 * 60_000);

  it('writes its map output under <namespace>/<driver pod>_<uid>/<application id> on the node', () => {
    const driver = finalDriver(timeline);
    expect(path.basename(appDir!)).toBe(`${driver.metadata.name}_${driver.metadata.uid}`);
    expect(shuffleFilesSeen).toBeGreaterThanOrEqual(1);
    const serviceLog = node!.kubelet.logOf(serviceNamespace, servicePod.metadata.name, 'shuffle-service');
    // The service accepted the registration (its LocalDirValidator): the directories are under its root.
    const registered = serviceLog.split('\n').filter((l) => l.includes('Registered executor') && l.includes(`${HOST_PATH}/apps/${appNamespaces[version]}/${driver.metadata.name}_${driver.metadata.uid}/spark-`));
    expect(registered.length).toBeGreaterThanOrEqual(2);
    expect(serviceLog).not.toMatch(/is not under any of the service's local directories/);
  });

  it('loses every executor between the stages, and stage 2 reads the shuffle through the service: same result, no map recomputed', () => {
    const stage1 = /^stage 1: sum=(\d+) keys=(\d+) mapCalls=(\d+) executors=\[(.+)\]$/m.exec(driverLog);
    const stage2 = /^stage 2: sum=(\d+) keys=(\d+) mapCalls=(\d+) executors=\[(.+)\]$/m.exec(driverLog);
    expect(stage1).not.toBeNull();
    expect(stage2).not.toBeNull();
    const expected = String((N * (N + 1)) / 2);
    expect([stage1![1], stage1![2], stage1![3]]).toEqual([expected, '97', String(N)]);
    expect([stage2![1], stage2![2], stage2![3]]).toEqual([expected, '97', String(N)]);
    // New executors: the ones that wrote the map output were gone.
    const before = new Set(stage1![4].split(', '));
    expect(stage2![4].split(', ').filter((id) => before.has(id))).toEqual([]);
    expect(driverLog).toMatch(/^executors gone after [0-9.]+ s$/m);
    expect(driverLog).toMatch(/^result: ok$/m);
    expect(driverLog).not.toMatch(/FetchFailed/);
    // The executor pods really went (Spark deleted them) while the driver ran.
    const counts = timeline.executorCounts.map(([, n]) => n);
    expect(counts.slice(counts.indexOf(Math.max(...counts))).includes(0)).toBe(true);
    expect(timeline.executorsFirstSeen.size).toBeGreaterThanOrEqual(2);
  });

  it('ends: driver pod Succeeded, Job Complete, no JVM left', async () => {
    expect(finalDriver(timeline).status.phase).toBe('Succeeded');
    expect(jobOutcome(timeline)).toBe('Complete');
    expect(await leftoverSparkJvms()).toEqual([]);
  });

  it('has its files removed by the janitor once the driver pod has ended (grace 5 s)', () => {
    expect(appDirGoneAfterDriverEnded).toBeDefined();
    expect(fs.existsSync(appDir!)).toBe(false);
  });
});

describe('the janitor', () => {
  it('leaves the files of a running driver pod, and of a namespace it may not read', async () => {
    const namespace = appNamespaces[APP_VERSIONS[0]];
    // A stand-in driver: a pod on a KWOK node, which KWOK keeps Running.
    const pod = JSON.parse(kubectl(['create', '-n', namespace, '-o', 'json', '-f', '-'], {
      input: {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stand-in-driver' },
        spec: { nodeSelector: { 'sparkplane.dev/kwok-node': 'true' }, tolerations: [{ operator: 'Exists' }], containers: [{ name: 'c', image: 'apache/spark:4.0.5' }] },
      },
    }).stdout);
    await waitUntil(async () => (await node!.api.get(`/api/v1/namespaces/${namespace}/pods/stand-in-driver`)).status?.phase === 'Running', 60_000, 'the stand-in driver Running');
    const running = node!.kubelet.hostPathDir(`${HOST_PATH}/apps/${namespace}/stand-in-driver_${pod.metadata.uid}/spark-1/blockmgr-x`);
    const forbidden = node!.kubelet.hostPathDir(`${HOST_PATH}/apps/default/some-driver_${randomUUID()}/spark-2/blockmgr-y`);
    for (const dir of [running, forbidden]) {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'shuffle_0_0_0.data'), 'x');
    }
    // Several sweeps past the grace period.
    await new Promise((resolve) => setTimeout(resolve, 9000));
    expect(fs.existsSync(path.join(running, 'shuffle_0_0_0.data'))).toBe(true);
    expect(fs.existsSync(path.join(forbidden, 'shuffle_0_0_0.data'))).toBe(true);
    const text = await metrics();
    // 403 for the namespace it may not read: counted, never treated as gone.
    expect(text).toMatch(/sparkplane_shuffle_janitor_api_requests_total\{result="403"\} [1-9]/);
    expect(metricValue(text, 'sparkplane_shuffle_janitor_deleted_total')).toBeGreaterThanOrEqual(APP_VERSIONS.length);
    fs.rmSync(node!.kubelet.hostPathDir(`${HOST_PATH}/apps/default`), { recursive: true, force: true });
  }, 120_000);

  it('serves the service\'s own metrics, relayed from its StatsD sink, labelled with the node: blocks it served, executors it registered', async () => {
    const text = await waitUntil(async () => {
      const body = await metrics();
      return (metricValue(body, 'sparkplane_shuffle_service_openBlockRequestLatencyMillis_count_total') ?? 0) > 0 ? body : undefined;
    }, 30_000, 'the relayed openBlockRequestLatencyMillis count above 0 (the sink reports every 10 s)');
    expect(text).toMatch(new RegExp(`sparkplane_shuffle_service_registeredExecutorsSize\\{node="${node!.kubelet.nodeName}"\\} [1-9]`));
    expect(metricValue(text, 'sparkplane_shuffle_janitor_statsd_last_packet_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 60);
  });
});

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() && !e.isSymbolicLink() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}
