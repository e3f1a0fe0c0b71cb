// Dynamic allocation on real Spark, as the library renders it: the application starts with no
// executor; a backlog of slow tasks makes Spark ask for more executor pods (through the API server,
// with the driver's token), which run for real; once the backlog is done and they sit idle past the
// idle timeout, Spark removes them and deletes their pods; then the application ends.
import { deleteNamespace } from '../integration/support/kube';
import {
  finalDriver, jobOutcome, leftoverSparkJvms, mib, processNodeSpec, recordFigures, runApplication, startProcessNode, stopProcessNode,
  type ProcessNode, type Timeline,
} from './support/spark-app';
import { JOBS } from './support/spark-home';

const VERSION = '4.0.5';
const MAX_EXECUTORS = 3;
/** Backlog: 30 tasks of 1.5 s (45 task-seconds), then at most 120 s idle, lingering 8 s once at 0 executors. */
const BACKLOG_ARGS = ['30', '1500', '120', '8'];

let node: ProcessNode | undefined;
let timeline: Timeline;
let driverLog: string;

beforeAll(async () => {
  node = await startProcessNode([VERSION]);
  timeline = await runApplication(
    node,
    processNodeSpec({
      name: 'backlog',
      sparkVersion: VERSION,
      mainClass: JOBS.backlog,
      mainApplicationFile: `local://${node.jobsJars[VERSION]}`,
      arguments: BACKLOG_ARGS,
      driver: { retries: 0 },
      dynamicAllocation: { minExecutors: 0, maxExecutors: MAX_EXECUTORS, executorIdleTimeout: '5s', schedulerBacklogTimeout: '1s' },
    }),
    { timeoutMs: 420_000 },
  );
  driverLog = node.kubelet.logOf(timeline.namespace, finalDriver(timeline).metadata.name);
  recordFigures(`dynamic allocation ${VERSION}`, {
    seconds: timeline.seconds,
    peakExecutorPods: timeline.peakExecutors,
    executorPodsWhenIdle: timeline.executorsBeforeDriverEnded,
    executorPodCounts: timeline.executorCounts.map(([t, n]) => `${t.toFixed(1)}s:${n}`).join(' '),
    peakRssMiB: mib(timeline.figures.peakRssBytes),
  });
}, 20 * 60_000);

afterAll(async () => {
  await stopProcessNode(node);
  deleteNamespace(timeline?.namespace);
});

it('starts with no executor pod', () => {
  expect(timeline.executorCounts[0]).toEqual([expect.any(Number), 0]);
});

it(`scales up under the backlog: at least 2 executor pods at once, never more than ${MAX_EXECUTORS}`, () => {
  expect(timeline.peakExecutors).toBeGreaterThanOrEqual(2);
  expect(timeline.peakExecutors).toBeLessThanOrEqual(MAX_EXECUTORS);
  expect(timeline.executorsSeenRunning.size).toBeGreaterThanOrEqual(2);
  const match = /^backlog done: 30 tasks of 1500 ms in [0-9.]+ s on executors \[(.+)\]$/m.exec(driverLog);
  expect(match).not.toBeNull();
  expect(match![1].split(', ').length).toBeGreaterThanOrEqual(2);
});

it('scales back to 0 when idle: Spark deletes the executor pods while the application still runs', () => {
  expect(driverLog).toMatch(/^scaled down to 0 executors after [0-9.]+ s of idleness$/m);
  expect(timeline.executorsBeforeDriverEnded).toBe(0);
  // The count went up and came back down to 0 before the driver ended.
  const counts = timeline.executorCounts.map(([, n]) => n);
  expect(counts.indexOf(timeline.peakExecutors)).toBeLessThan(counts.lastIndexOf(0));
  expect(driverLog).toMatch(/Removing executor \d+ because it has been idle for 5 seconds|Requesting to kill executor\(s\)/);
});

it('then the application ends: driver pod Succeeded, Job Complete, no pod process or JVM left', async () => {
  expect(finalDriver(timeline).status.phase).toBe('Succeeded');
  expect(jobOutcome(timeline)).toBe('Complete');
  expect(timeline.executorsAtEnd).toBe(0);
  expect(node!.kubelet.livePids()).toEqual([]);
  expect(await leftoverSparkJvms()).toEqual([]);
});
