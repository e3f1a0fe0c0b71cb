// The allocator with real Spark: the driver pod as the library renders it with `allocator`, run by
// the process kubelet from the real images: the bridge jar installed by the sparkplane image's init
// container, the allocator as a native sidecar from that image (its own Node, its own root
// filesystem, the driver's ServiceAccount token), and real spark-submit, which loads the bridge as
// its pods allocator. Dynamic allocation decides how many executors; the sidecar creates them; they
// run, register, compute, and Spark removes them when idle. On 4.0.5 and 3.5.9.
import { deleteNamespace } from '../integration/support/kube';
import { finalDriver, jobOutcome, leftoverSparkJvms, mib, processNodeSpec, recordFigures, runApplication, startProcessNode, stopProcessNode, type ProcessNode, type Timeline } from './support/spark-app';
import { JOBS } from './support/spark-home';
import { ensureSparkplaneImage, SPARKPLANE_E2E_IMAGE } from './support/sparkplane-image';

const VERSIONS = ['4.0.5', '3.5.9'];
const MAX_EXECUTORS = 3;
/** Backlog: 24 tasks of 1.5 s, then at most 120 s idle, lingering 5 s once at 0 executors. */
const BACKLOG_ARGS = ['24', '1500', '120', '5'];

let node: ProcessNode | undefined;

beforeAll(async () => {
  const image = await ensureSparkplaneImage();
  node = await startProcessNode(VERSIONS, { [SPARKPLANE_E2E_IMAGE]: image });
}, 30 * 60_000);

afterAll(async () => {
  await stopProcessNode(node);
});

describe.each(VERSIONS)('the allocator sidecar with Spark %s', (version) => {
  let timeline: Timeline;
  let driverLog: string;
  let sidecarLog: string;
  let sidecarPeakRssMiB: number;

  beforeAll(async () => {
    timeline = await runApplication(
      node!,
      processNodeSpec({
        name: 'allocated',
        sparkVersion: version,
        mainClass: JOBS.backlog,
        mainApplicationFile: `local://${node!.jobsJars[version]}`,
        arguments: BACKLOG_ARGS,
        driver: { retries: 0 },
        dynamicAllocation: { minExecutors: 0, maxExecutors: MAX_EXECUTORS, executorIdleTimeout: '5s', schedulerBacklogTimeout: '1s' },
        allocator: { image: SPARKPLANE_E2E_IMAGE, batchSize: 2, batchDelay: '1s' },
      }),
      { timeoutMs: 420_000 },
    );
    const driver = finalDriver(timeline).metadata.name;
    driverLog = node!.kubelet.logOf(timeline.namespace, driver);
    sidecarLog = node!.kubelet.logOf(timeline.namespace, driver, 'allocator');
    const sidecar = node!.kubelet.records().find((r) => r.namespace === timeline.namespace && r.name === driver)?.containers.find((c) => c.name === 'allocator');
    sidecarPeakRssMiB = mib(sidecar?.peakRssBytes ?? 0);
    recordFigures(`allocator ${version}`, {
      seconds: timeline.seconds,
      peakExecutorPods: timeline.peakExecutors,
      executorPodCounts: timeline.executorCounts.map(([t, n]) => `${t.toFixed(1)}s:${n}`).join(' '),
      sidecarPeakRssMiB,
    });
  }, 15 * 60_000);

  afterAll(() => deleteNamespace(timeline?.namespace));

  it('the Job completes with the sidecar stopped after the driver: the pod ends Succeeded', () => {
    const driver = finalDriver(timeline);
    expect(jobOutcome(timeline)).toBe('Complete');
    expect(driver.status.phase).toBe('Succeeded');
    const init = Object.fromEntries(driver.status.initContainerStatuses.map((s: any) => [s.name, s]));
    expect(init['install-allocator-bridge'].state.terminated).toMatchObject({ exitCode: 0 });
    expect(init.allocator.started === true || init.allocator.state.terminated !== undefined).toBe(true);
  });

  it('Spark loads the bridge as its pods allocator, and the bridge reaches the sidecar', () => {
    expect(driverLog).toContain(`Running Spark version ${version}`);
    expect(sidecarLog).toMatch(/"msg":"allocator started"/);
    // The image's own Node, with its entrypoint's heap flags, inside the rendered 128Mi limit.
    expect(sidecarPeakRssMiB).toBeGreaterThan(20);
    expect(sidecarPeakRssMiB).toBeLessThan(128);
    expect(sidecarLog).toMatch(new RegExp(`"msg":"bridge connected","appId":"spark-[0-9a-f]+","sparkVersion":"${version.replace(/\./g, '\\.')}"`));
  });

  it('the sidecar created every executor pod, from Spark\'s own spec, and they registered and ran the tasks', () => {
    const pods = [...timeline.executorsFirstSeen.values()];
    expect(pods.length).toBeGreaterThanOrEqual(2);
    for (const pod of pods) {
      expect(pod.metadata.annotations?.['sparkplane.dev/allocator-request']).toMatch(/^[0-9a-f]{8}\.\d+$/);
      expect(pod.metadata.labels).toMatchObject({ 'spark-role': 'executor', 'spark-exec-resourceprofile-id': '0' });
      expect(pod.metadata.labels['spark-exec-id']).toMatch(/^\d+$/);
      expect(pod.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Pod', name: finalDriver(timeline).metadata.name });
    }
    expect(timeline.peakExecutors).toBeLessThanOrEqual(MAX_EXECUTORS);
    const done = /^backlog done: 24 tasks of 1500 ms in [0-9.]+ s on executors \[(.+)\]$/m.exec(driverLog);
    expect(done).not.toBeNull();
    expect(done![1].split(',').length).toBeGreaterThanOrEqual(2);
  });

  it('Spark scales back to zero through its own kill path, and nothing is left', async () => {
    expect(timeline.executorsBeforeDriverEnded ?? 0).toBe(0);
    expect(timeline.executorsAtEnd).toBe(0);
    expect(await leftoverSparkJvms()).toEqual([]);
  });
});
