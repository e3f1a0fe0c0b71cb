// Prometheus monitoring (issue 9) with real Spark, on Spark 4.0.5 and 3.5.9:
// - an application rendered with `monitoring` and the allocator runs a backlog under dynamic
//   allocation, while the test scrapes the driver pod where its annotations point. Every metric name
//   the library's scrape configurations, alerts and dashboards may use
//   (lib/core/monitoring/spark-metric-names.ts) must be served, under the constant namespace, with
//   the executors' figures labelled by application;
// - meanwhile a real Prometheus server (3.16.0) runs the `Prometheus` component's own prometheus.yml,
//   finding the pods through Kubernetes discovery on the real API server (the process kubelet gives
//   pods the loopback address), and every query of the Grafana dashboard returns data for the run;
// - with `monitoring.pushgateway`, a short application's sidecar pushes to a real Pushgateway, and
//   after the driver has ended the Pushgateway holds Spark's final figures (its CsvSink report at
//   stop), which Prometheus reads under the same job and labels as a scrape.
import { parse } from 'yaml';
import {
  grafanaDashboardQueries, prometheusConfig, renderSparkApplication, SPARK_DRIVER_METRICS, SPARK_DYNAMIC_ALLOCATION_METRICS, SPARK_EXECUTOR_METRICS,
} from '../../lib/core';
import { connection } from '../integration/support/cluster-env';
import { monitoringToolsDir, startPrometheus, startPushgateway, type LoopbackProgram, type PrometheusServer } from '../support/monitoring-tools';
import { POD_IP } from './support/pod-runtime';
import {
  finalDriver, jobOutcome, leftoverSparkJvms, processNodeSpec, recordFigures, runApplication, startProcessNode, stopProcessNode,
  type ProcessNode, type Timeline,
} from './support/spark-app';
import { JOBS } from './support/spark-home';
import { ensureSparkplaneImage, SPARKPLANE_E2E_IMAGE } from './support/sparkplane-image';

const VERSIONS = ['4.0.5', '3.5.9'];

let node: ProcessNode | undefined;
let pushgateway: LoopbackProgram | undefined;
let prometheus: PrometheusServer | undefined;

beforeAll(async () => {
  const image = await ensureSparkplaneImage();
  node = await startProcessNode(VERSIONS, { [SPARKPLANE_E2E_IMAGE]: image });
  const tools = monitoringToolsDir();
  pushgateway = await startPushgateway(tools);
  // The component's prometheus.yml, with two changes for a server outside the cluster: discovery
  // through the suite's kubeconfig (in a pod it uses its ServiceAccount), and the loopback Pushgateway.
  const config = parse(prometheusConfig({ targetNamespaces: '*', scrapeInterval: '1s', pushgateway: {} }));
  delete config.rule_files;
  for (const job of config.scrape_configs) {
    for (const sd of job.kubernetes_sd_configs ?? []) sd.kubeconfig_file = connection().kubeconfig;
    if (job.job_name === 'pushgateway') job.static_configs = [{ targets: [new URL(pushgateway.url).host] }];
  }
  prometheus = await startPrometheus(tools, config);
}, 30 * 60_000);

afterAll(async () => {
  await prometheus?.stop();
  await pushgateway?.stop();
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
  let window: { start: number; end: number };

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
      allocator: { image: SPARKPLANE_E2E_IMAGE },
      monitoring: {},
    });
    const started = Date.now() / 1000;
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
    window = { start: started, end: Date.now() / 1000 };
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

  it('is found by Prometheus through Kubernetes discovery: driver, executors\' figures and allocator, labelled by application', async () => {
    const series = await prometheus!.queryRange(`up{namespace="${timeline.namespace}"}`, window.start, window.end);
    const jobs = series.map((s) => `${s.metric.job} ${s.metric.spark_application} ${s.metric.spark_role} ${s.metric.container ?? ''}`.trim()).sort();
    expect(jobs).toEqual(['spark-driver monitored driver', 'spark-executors monitored driver', 'sparkplane monitored driver allocator']);
    // Each target answered with metrics at some scrape (a driver starting up answers a page first).
    for (const s of series) expect({ job: s.metric.job, up: Math.max(...s.values) }).toEqual({ job: s.metric.job, up: 1 });
  });

  it('answers every query of the Grafana dashboard with data from the run', async () => {
    const empty: string[] = [];
    for (const expr of grafanaDashboardQueries()) {
      const query = expr.replace(/\$namespace/g, timeline.namespace).replace(/\$application/g, 'monitored');
      if ((await prometheus!.queryRange(query, window.start, window.end)).length === 0) empty.push(query);
    }
    expect(empty).toEqual([]);
    const peak = async (expr: string) => Math.max(...(await prometheus!.queryRange(expr, window.start, window.end)).flatMap((s) => s.values));
    const app = `namespace="${timeline.namespace}", spark_application="monitored"`;
    expect(await peak(`sparkplane_allocator_registered_executors{${app}}`)).toBeGreaterThanOrEqual(1);
    expect(await peak(`${SPARK_DRIVER_METRICS.heapUsedBytes}{${app}}`)).toBeGreaterThan(0);
    expect(await peak(`${SPARK_DRIVER_METRICS.completedTasks}{${app}}`)).toBe(16);
  });

  it('leaves no JVM behind', async () => {
    expect(await leftoverSparkJvms()).toEqual([]);
  });
});

describe('an application that pushes its metrics (Spark 4.0.5)', () => {
  let timeline: Timeline;
  let sidecarLog: string;
  let groups: PushGroup[];
  /** Names in the driver's group while the application ran: what the sidecar read from the servlet. */
  let pushedWhileRunning: Set<string>;

  beforeAll(async () => {
    const run = runApplication(node!, processNodeSpec({
      name: 'pushed',
      sparkVersion: '4.0.5',
      mainClass: JOBS.sparkPi,
      mainApplicationFile: `local://${node!.jobsJars['4.0.5']}`,
      arguments: ['4'],
      driver: { retries: 0 },
      monitoring: { pushgateway: { url: pushgateway!.url, image: SPARKPLANE_E2E_IMAGE, interval: '2s' } },
    }), { timeoutMs: 300_000 });
    [pushedWhileRunning, timeline] = await Promise.all([driverGroupNamesUntil(run), run]);
    sidecarLog = node!.kubelet.logOf(timeline.namespace, finalDriver(timeline).metadata.name, 'metrics-push');
    groups = (await (await fetch(`${pushgateway!.url}/api/v1/metrics`)).json() as { data: PushGroup[] }).data
      .filter((g) => g.labels.namespace === timeline.namespace);
    recordFigures('monitoring push 4.0.5', { seconds: timeline.seconds, groups: groups.length, namesPushedWhileRunning: pushedWhileRunning.size });
  }, 10 * 60_000);

  it('runs to completion, and the sidecar pushes Spark\'s final report when the driver has ended', () => {
    expect(finalDriver(timeline).status.phase).toBe('Succeeded');
    expect(jobOutcome(timeline)).toBe('Complete');
    const final = sidecarLog.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((l) => l.msg === 'final push');
    expect(final).toMatchObject({ driverSource: 'final report', pushed: { driver: true, executors: true } });
    expect(final.driverSamples).toBeGreaterThan(50);
  });

  it('leaves one group per body in the Pushgateway, with the final figures under the servlet\'s names and the scrape\'s labels', () => {
    expect(groups.map((g) => g.labels.job).sort()).toEqual(['spark-driver', 'spark-executors']);
    const driver = groups.find((g) => g.labels.job === 'spark-driver')!;
    expect(driver.labels).toMatchObject({ namespace: timeline.namespace, spark_application: 'pushed' });
    // Every driver name the library uses, read back from the CsvSink report (no dynamic allocation here).
    expect(Object.values(SPARK_DRIVER_METRICS).filter((name) => !driver[name])).toEqual([]);
    const succeeded = driver[SPARK_DRIVER_METRICS.succeededJobs].metrics[0];
    expect(succeeded.labels).toMatchObject({ pod: finalDriver(timeline).metadata.name, spark_role: 'driver', type: 'counters' });
    // SparkPi runs one job; only the report at stop() is sure to hold its end.
    expect(Number(succeeded.value)).toBe(1);
    expect(Number(driver[SPARK_DRIVER_METRICS.completedTasks].metrics[0].value)).toBe(4);
    // The report, translated, names everything the servlet served while the application ran.
    expect(pushedWhileRunning.size).toBeGreaterThan(50);
    expect([...pushedWhileRunning].filter((name) => !driver[name])).toEqual([]);
  });

  it('is read by Prometheus from the Pushgateway under the driver\'s job, and the pod itself is not scraped', async () => {
    const app = `namespace="${timeline.namespace}", spark_application="pushed"`;
    const series = await waitForSeries(`${SPARK_DRIVER_METRICS.succeededJobs}{job="spark-driver", ${app}}`);
    expect(series.map((s) => s.value)).toEqual([1]);
    expect(await prometheus!.query(`up{job="spark-driver", ${app}}`)).toEqual([]);
  });

  it('leaves no JVM behind', async () => {
    expect(await leftoverSparkJvms()).toEqual([]);
  });
});

/** A Pushgateway group as its API lists it: labels, then metric families by name. */
type PushGroup = { labels: Record<string, string> } & Record<string, { metrics: Array<{ labels: Record<string, string>; value: string }> }>;

/** The metric names of the pushed driver group of application "pushed", polled every second until `stop` resolves. */
async function driverGroupNamesUntil(stop: Promise<Timeline>): Promise<Set<string>> {
  const names = new Set<string>();
  let done = false;
  void stop.finally(() => { done = true; });
  while (!done) {
    const groups = (await (await fetch(`${pushgateway!.url}/api/v1/metrics`)).json() as { data: PushGroup[] }).data;
    const driver = groups.find((g) => g.labels.job === 'spark-driver' && g.labels.spark_application === 'pushed');
    for (const name of Object.keys(driver ?? {})) if (name.startsWith('metrics_')) names.add(name);
    await new Promise((r) => setTimeout(r, 1000));
  }
  return names;
}

/** The query's series once there are some (Prometheus scrapes the Pushgateway every second). */
async function waitForSeries(expr: string): Promise<Array<{ metric: Record<string, string>; value: number }>> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const series = await prometheus!.query(expr);
    if (series.length || Date.now() > deadline) return series;
    await new Promise((r) => setTimeout(r, 1000));
  }
}
