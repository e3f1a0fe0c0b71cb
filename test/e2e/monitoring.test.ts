// Prometheus monitoring (issue 9) with real Spark: an application rendered with `monitoring` runs a
// backlog under dynamic allocation on Spark 4.0.5 and 3.5.9, while the test scrapes the driver pod
// where its annotations point, as Prometheus would. Every metric name the library's scrape
// configurations, alerts and dashboards may use (lib/core/monitoring/spark-metric-names.ts) must be
// served, under the constant namespace, with the executors' figures labelled by application.
import { renderSparkApplication, SPARK_DRIVER_METRICS, SPARK_DYNAMIC_ALLOCATION_METRICS, SPARK_EXECUTOR_METRICS } from '../../lib/core';
import { POD_IP } from './support/pod-runtime';
import {
  finalDriver, jobOutcome, leftoverSparkJvms, processNodeSpec, recordFigures, runApplication, startProcessNode, stopProcessNode,
  type ProcessNode, type Timeline,
} from './support/spark-app';
import { JOBS } from './support/spark-home';

const VERSIONS = ['4.0.5', '3.5.9'];

let node: ProcessNode | undefined;

beforeAll(async () => {
  node = await startProcessNode(VERSIONS);
}, 30 * 60_000);

afterAll(async () => {
  await stopProcessNode(node);
});

/** Names and label sets seen on one endpoint while the application ran. */
interface Scrapes {
  ok: number;
  /** 200 answers that are not metrics: Spark's "Spark is starting up" page, before the UI is ready. */
  notMetrics: number;
  names: Set<string>;
  lines: string[];
}

/** Scrapes `url` every second until `stop` resolves, keeping every metric name of a 200 answer. */
async function scrapeUntil(url: string, stop: Promise<unknown>): Promise<Scrapes> {
  const seen: Scrapes = { ok: 0, notMetrics: 0, names: new Set(), lines: [] };
  let done = false;
  void stop.finally(() => { done = true; });
  while (!done) {
    try {
      const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(2000) });
      const text = response.status === 200 ? await response.text() : undefined;
      if (text !== undefined && !/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? \S+$/.test(text.split('\n')[0])) seen.notMetrics++;
      else if (text !== undefined) {
        seen.ok++;
        for (const line of text.split('\n')) {
          const name = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line)?.[1];
          if (name && !seen.names.has(name)) { seen.names.add(name); seen.lines.push(line); }
        }
      }
    } catch {
      // Not up yet, or gone: the driver's UI lives only while the application runs.
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  return seen;
}

describe.each(VERSIONS)('an application with monitoring on Spark %s', (version) => {
  let timeline: Timeline;
  let driverScrapes: Scrapes;
  let executorScrapes: Scrapes;

  beforeAll(async () => {
    const spec = processNodeSpec({
      name: 'monitored',
      sparkVersion: version,
      mainClass: JOBS.backlog,
      mainApplicationFile: `local://${node!.jobsJars[version]}`,
      // 16 tasks of 1.5 s, then at most 60 s idle, lingering 8 s at 0 executors.
      arguments: ['16', '1500', '60', '8'],
      driver: { retries: 0 },
      dynamicAllocation: { minExecutors: 0, maxExecutors: 2, executorIdleTimeout: '5s', schedulerBacklogTimeout: '1s' },
      monitoring: {},
    });
    const run = runApplication(node!, spec, { timeoutMs: 420_000 });
    // Where the driver pod's annotations point (the process node's pods share its address).
    const job = renderSparkApplication(spec).find((o) => o.kind === 'Job') as unknown as { spec: { template: { metadata: { annotations: Record<string, string> } } } };
    const { annotations } = job.spec.template.metadata;
    const base = `http://${POD_IP}:${annotations['prometheus.io/port']}`;
    [driverScrapes, executorScrapes, timeline] = await Promise.all([
      scrapeUntil(`${base}${annotations['prometheus.io/path']}`, run),
      scrapeUntil(`${base}${annotations['sparkplane.io/metrics-executors-path']}`, run),
      run,
    ]);
    recordFigures(`monitoring ${version}`, { seconds: timeline.seconds, driverScrapes: driverScrapes.ok, driverNotMetrics: driverScrapes.notMetrics, executorScrapes: executorScrapes.ok, driverNames: driverScrapes.names.size, executorNames: executorScrapes.names.size });
  }, 15 * 60_000);

  it('runs to completion while it is scraped', () => {
    expect(finalDriver(timeline).status.phase).toBe('Succeeded');
    expect(jobOutcome(timeline)).toBe('Complete');
    expect(driverScrapes.ok).toBeGreaterThan(5);
    expect(executorScrapes.ok).toBeGreaterThan(5);
  });

  it('serves every driver metric name the library uses, under the constant namespace', () => {
    const missing = [...Object.values(SPARK_DRIVER_METRICS), ...Object.values(SPARK_DYNAMIC_ALLOCATION_METRICS)].filter((name) => !driverScrapes.names.has(name));
    expect(missing).toEqual([]);
    expect([...driverScrapes.names].filter((name) => !name.startsWith('metrics_spark_driver_'))).toEqual([]);
  });

  it('serves every executor metric name the library uses, labelled by application and executor', () => {
    const missing = Object.values(SPARK_EXECUTOR_METRICS).filter((name) => !executorScrapes.names.has(name));
    expect(missing).toEqual([]);
    const completed = executorScrapes.lines.find((line) => line.startsWith(`${SPARK_EXECUTOR_METRICS.completedTasks}{`))!;
    expect(completed).toMatch(/application_id="spark-[0-9a-f]+".*application_name="monitored".*executor_id="/);
  });

  it('leaves no JVM behind', async () => {
    expect(await leftoverSparkJvms()).toEqual([]);
  });
});
