// The Prometheus component (issue 9) on the real control plane, and its configuration read by
// Prometheus' own promtool (3.16.0, built from the Go module proxy by scripts/prometheus/build):
// - the scrape configurations for monitored Spark drivers and the library's programs are valid
//   Prometheus configuration, Kubernetes discovery and relabeling included; a broken one fails the
//   same check, so the check is not a formality;
// - the component's objects pass strict server-side apply with Pod Security "restricted", its pod
//   runs on its bound claim, and its ServiceAccount may list and watch pods in exactly its target
//   namespaces, and nothing else.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ALERT_RULES_FILE, grafanaDashboardQueries, renderPrometheus, renderPrometheusOperatorObjects, sparkplaneAlertRules, sparkplaneScrapeConfigs, toYaml, type PrometheusSpec } from '../../lib/core';
import { accessOf } from './support/access-review';
import { apply, applyAcrossNamespaces, createRestrictedNamespace, deleteNamespace, getObject, kubectl, list, waitFor, type KubeObj } from './support/kube';
import { monitoringToolsDir } from '../support/monitoring-tools';

let promtool: string;
let dir: string;

beforeAll(() => {
  promtool = path.join(monitoringToolsDir(), 'promtool');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-promtool-'));
}, 30 * 60_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** `promtool check config` of a prometheus.yml text. */
function checkConfigText(text: string): { status: number | null; output: string } {
  const file = path.join(dir, `prometheus-${Date.now()}-${Math.random().toString(36).slice(2)}.yml`);
  fs.writeFileSync(file, text);
  const run = spawnSync(promtool, ['check', 'config', file], { encoding: 'utf8' });
  return { status: run.status, output: run.stdout + run.stderr };
}

/** `promtool check config` of a prometheus.yml with these scrape configurations. */
function checkConfig(scrapeConfigs: unknown[]): { status: number | null; output: string } {
  return checkConfigText(toYaml({ global: { scrape_interval: '15s' }, scrape_configs: scrapeConfigs }));
}

it('accepts the scrape configurations for a list of namespaces and for all of them', () => {
  for (const namespaces of [['batch', 'notebooks'], '*'] as const) {
    const result = checkConfig(sparkplaneScrapeConfigs(namespaces));
    expect(result).toEqual({ status: 0, output: expect.stringMatching(/SUCCESS/) });
  }
});

it('refuses a configuration Prometheus could not load (an invalid relabel regex)', () => {
  const [driver] = sparkplaneScrapeConfigs(['batch']) as Array<{ relabel_configs: Array<Record<string, unknown>> }>;
  const broken = { ...driver, relabel_configs: [...driver.relabel_configs, { source_labels: ['__address__'], regex: '(unclosed', action: 'keep' }] };
  const result = checkConfig([broken]);
  expect(result.status).not.toBe(0);
  expect(result.output).toMatch(/error parsing regexp|FAILED/);
});

describe('the Prometheus component', () => {
  let monitoring: string;
  let batch: string;
  let other: string;
  let objects: KubeObj[];
  let warnings: string[];

  beforeAll(async () => {
    [monitoring, batch, other] = await Promise.all([createRestrictedNamespace('sp-prom-it'), createRestrictedNamespace('sp-prom-batch'), createRestrictedNamespace('sp-prom-other')]);
    const spec: PrometheusSpec = { namespace: monitoring, targetNamespaces: [batch], pushgateway: {}, storageSize: '5Gi', nodeSelector: { 'sparkplane.dev/kwok-node': 'true' } };
    objects = renderPrometheus(spec) as KubeObj[];
    // No storage provisioner in the harness: a PersistentVolume for the claim, as an administrator would make.
    kubectl(['create', '-f', '-'], { input: {
      apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: `${monitoring}-prometheus` },
      spec: { capacity: { storage: '5Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: '', hostPath: { path: '/var/lib/prometheus' }, claimRef: { namespace: monitoring, name: 'prometheus-data' } },
    } });
    warnings = applyAcrossNamespaces(objects, monitoring).flatMap((r) => r.stderr.split('\n')).filter((line) => /warning/i.test(line));
  }, 120_000);

  afterAll(() => {
    for (const ns of [monitoring, batch, other]) deleteNamespace(ns);
    kubectl(['delete', 'persistentvolume', `${monitoring}-prometheus`, '--wait=false', '--ignore-not-found'], { allowFailure: true });
  });

  it('is accepted by strict server-side apply in "restricted" namespaces, with no warning', () => {
    expect(warnings).toEqual([]);
    for (const o of objects) expect(`${o.kind}/${o.metadata.namespace}/${o.metadata.name}: ${getObject(o.kind, o.metadata.name, o.metadata.namespace) ? 'stored' : 'missing'}`).toBe(`${o.kind}/${o.metadata.namespace}/${o.metadata.name}: stored`);
  });

  it('runs the server and the Pushgateway under "restricted", the server on its bound claim', async () => {
    await waitFor(() => list('pods', monitoring, 'app.kubernetes.io/component=server').find((p) => p.status?.phase === 'Running'), 60_000, 'the Prometheus pod Running');
    await waitFor(() => list('pods', monitoring, 'app.kubernetes.io/component=pushgateway').find((p) => p.status?.phase === 'Running'), 60_000, 'the Pushgateway pod Running');
    expect(getObject('PersistentVolumeClaim', 'prometheus-data', monitoring)!.status.phase).toBe('Bound');
  });

  it('may list and watch pods in its target namespace only, and nothing else', () => {
    const { actual, expected } = accessOf(monitoring, 'prometheus', [
      { verb: 'list', resource: 'pods', namespace: batch, expected: 'allowed' },
      { verb: 'watch', resource: 'pods', namespace: batch, expected: 'allowed' },
      { verb: 'get', resource: 'pods', namespace: batch, expected: 'denied' },
      { verb: 'list', resource: 'pods', namespace: other, expected: 'denied' },
      { verb: 'list', resource: 'pods', namespace: monitoring, expected: 'denied' },
      { verb: 'list', resource: 'pods', namespace: '', expected: 'denied' },
      { verb: 'list', resource: 'services', namespace: batch, expected: 'denied' },
      { verb: 'list', resource: 'endpoints', namespace: batch, expected: 'denied' },
      { verb: 'get', resource: 'secrets', namespace: batch, expected: 'denied' },
    ]);
    expect(actual).toEqual(expected);
  });

  it('renders a prometheus.yml and its alerting rules that promtool accepts', () => {
    const data = objects.find((o) => o.kind === 'ConfigMap')!.data;
    // The rule file beside the configuration, as the ConfigMap mounts them.
    const folder = fs.mkdtempSync(path.join(dir, 'config-'));
    fs.writeFileSync(path.join(folder, ALERT_RULES_FILE), data[ALERT_RULES_FILE]);
    fs.writeFileSync(path.join(folder, 'prometheus.yml'), data['prometheus.yml']);
    const run = spawnSync(promtool, ['check', 'config', path.join(folder, 'prometheus.yml')], { encoding: 'utf8' });
    expect({ status: run.status, output: run.stdout + run.stderr }).toEqual({ status: 0, output: expect.stringMatching(new RegExp(`SUCCESS: ${sparkplaneAlertRules().flatMap((g) => g.rules).length} rules found`)) });
  });
});

/**
 * promtool unit tests of every alert: synthetic series that must fire it (with its exact labels and
 * annotations) and healthy ones that must not.
 */
describe('the alerting rules, under promtool test rules', () => {
  const driver = (pod: string) => `{job="spark-driver", namespace="batch", spark_application="etl", pod="${pod}"}`;
  const cases: Array<{ alert: string; series: Array<{ series: string; values: string }>; evalTime: string; fires: Array<{ labels: Record<string, string>; annotations: Record<string, string> }> }> = [
    {
      alert: 'SparkDriverRestarted',
      series: [{ series: `up${driver('etl-driver-a')}`, values: '1x10' }, { series: `up${driver('etl-driver-b')}`, values: '_x10 1x10' }],
      evalTime: '15m',
      fires: [{ labels: { namespace: 'batch', spark_application: 'etl', severity: 'warning' }, annotations: { summary: 'Spark driver of batch/etl restarted', description: 'Its Job started another driver pod in the last 30 minutes (a failure, or the loss of a node).' } }],
    },
    {
      alert: 'SparkDriverFailed',
      // kube-state-metrics' series (allowlisted labels), with the labels its scrape adds.
      series: [
        { series: 'kube_job_failed{job="kube-state-metrics", namespace="batch", job_name="etl-driver", condition="true"}', values: '0 0 1x5' },
        { series: 'kube_job_labels{job="kube-state-metrics", namespace="batch", job_name="etl-driver", label_sparkplane_io_application="etl", label_app_kubernetes_io_component="driver"}', values: '1x7' },
        // Another Job of the namespace failed: not a Spark driver.
        { series: 'kube_job_failed{job="kube-state-metrics", namespace="batch", job_name="backup", condition="true"}', values: '1x7' },
        { series: 'kube_job_labels{job="kube-state-metrics", namespace="batch", job_name="backup"}', values: '1x7' },
      ],
      evalTime: '3m',
      fires: [{ labels: { job: 'kube-state-metrics', namespace: 'batch', job_name: 'etl-driver', condition: 'true', label_sparkplane_io_application: 'etl', spark_application: 'etl', severity: 'critical' }, annotations: { summary: 'Spark application batch/etl failed', description: 'Its driver Job etl-driver has failed for good: the retries are spent or its deadline passed. `kubectl logs job/etl-driver` shows the last driver.' } }],
    },
    {
      alert: 'SparkJobsFailing',
      series: [{ series: `metrics_spark_driver_appStatus_jobs_failedJobs_Count${driver('etl-driver-a')}`, values: '0 0 2 2 2' }],
      evalTime: '4m',
      fires: [{ labels: { job: 'spark-driver', namespace: 'batch', spark_application: 'etl', pod: 'etl-driver-a', severity: 'warning' }, annotations: { summary: 'Spark jobs failing in batch/etl', description: '2 Spark jobs failed in the last 15 minutes.' } }],
    },
    {
      alert: 'SparkExecutorsLost',
      series: [{ series: `metrics_spark_driver_ExecutorAllocationManager_executors_numberExecutorsExitedUnexpectedly_Count${driver('etl-driver-a')}`, values: '0 1 2 3 4 5' }],
      evalTime: '5m',
      fires: [{ labels: { job: 'spark-driver', namespace: 'batch', spark_application: 'etl', pod: 'etl-driver-a', severity: 'warning' }, annotations: { summary: 'Executors of batch/etl are being lost', description: '5 executors exited unexpectedly in the last 15 minutes (out of memory, evicted or preempted).' } }],
    },
    {
      alert: 'SparkListenerEventsDropped',
      series: [{ series: `metrics_spark_driver_LiveListenerBus_queue_appStatus_numDroppedEvents_Count${driver('etl-driver-a')}`, values: '0 0 7' }],
      evalTime: '2m',
      fires: [{ labels: { job: 'spark-driver', namespace: 'batch', spark_application: 'etl', pod: 'etl-driver-a', severity: 'warning' }, annotations: { summary: 'Spark driver of batch/etl drops status events', description: 'Its appStatus listener queue overflowed: the UI and the metrics undercount; the driver is overloaded.' } }],
    },
    {
      alert: 'SparkExecutorsPending',
      series: [{ series: 'sparkplane_allocator_pending_executors{job="sparkplane", namespace="batch", spark_application="etl", resource_profile="0"}', values: '3x20' }],
      evalTime: '15m',
      fires: [{ labels: { job: 'sparkplane', namespace: 'batch', spark_application: 'etl', resource_profile: '0', severity: 'warning' }, annotations: { summary: 'Executors of batch/etl stuck Pending', description: '3 requested executors have not started for 10 minutes: the cluster or the namespace\'s quota lacks room.' } }],
    },
    {
      alert: 'SparkAllocatorBelowTarget',
      series: [
        { series: 'sparkplane_allocator_expected_executors{job="sparkplane", namespace="batch", spark_application="etl", resource_profile="0"}', values: '10x30' },
        { series: 'sparkplane_allocator_registered_executors{job="sparkplane", namespace="batch", spark_application="etl", resource_profile="0"}', values: '6x30' },
      ],
      evalTime: '20m',
      fires: [{ labels: { job: 'sparkplane', namespace: 'batch', spark_application: 'etl', resource_profile: '0', severity: 'warning' }, annotations: { summary: 'Allocator of batch/etl below its target', description: '4 executors Spark asked for have not registered for 15 minutes.' } }],
    },
    {
      alert: 'SparkplaneTargetDown',
      series: [{ series: 'up{job="sparkplane", namespace="batch", pod="staging-server-0", container="staging-server", component="sparkplane-staging-server"}', values: '0x10' }],
      evalTime: '7m',
      fires: [{ labels: { job: 'sparkplane', namespace: 'batch', pod: 'staging-server-0', container: 'staging-server', component: 'sparkplane-staging-server', severity: 'warning' }, annotations: { summary: 'sparkplane-staging-server batch/staging-server-0 does not answer', description: 'Prometheus cannot scrape its /metrics (container staging-server).' } }],
    },
    {
      alert: 'ZeppelinDown',
      series: [
        { series: 'kube_deployment_status_replicas_available{job="kube-state-metrics", namespace="notebooks", deployment="notebooks-server"}', values: '1 1 0x10' },
        { series: 'kube_deployment_labels{job="kube-state-metrics", namespace="notebooks", deployment="notebooks-server", label_app_kubernetes_io_name="zeppelin"}', values: '1x12' },
        // Another Deployment without replicas: not Zeppelin.
        { series: 'kube_deployment_status_replicas_available{job="kube-state-metrics", namespace="notebooks", deployment="scaled-down"}', values: '0x12' },
        { series: 'kube_deployment_labels{job="kube-state-metrics", namespace="notebooks", deployment="scaled-down"}', values: '1x12' },
      ],
      evalTime: '8m',
      fires: [{ labels: { job: 'kube-state-metrics', namespace: 'notebooks', deployment: 'notebooks-server', severity: 'critical' }, annotations: { summary: 'Zeppelin notebooks/notebooks-server is down', description: 'Its server has had no ready replica for 5 minutes: notebooks cannot be opened and interpreters cannot start.' } }],
    },
    {
      alert: 'ShuffleServiceSilent',
      // The last packet at t=0, never again: silent for > 120 s from minute 3.
      series: [{ series: 'sparkplane_shuffle_janitor_statsd_last_packet_timestamp_seconds{job="sparkplane", node="node-1"}', values: '0x10' }],
      evalTime: '6m',
      fires: [{ labels: { job: 'sparkplane', node: 'node-1', severity: 'critical' }, annotations: { summary: 'External shuffle service down on node-1', description: 'No metrics from the shuffle service for over 2 minutes: executors on that node cannot register, and shuffle files there cannot be read.' } }],
    },
    {
      alert: 'StagingServerDiskNearlyFull',
      series: [
        { series: 'sparkplane_staging_volume_free_bytes{job="sparkplane", namespace="batch", pod="staging-server-0"}', values: '500x20' },
        { series: 'sparkplane_staging_stored_bytes{job="sparkplane", namespace="batch", pod="staging-server-0"}', values: '9500x20' },
      ],
      evalTime: '16m',
      fires: [{ labels: { job: 'sparkplane', namespace: 'batch', pod: 'staging-server-0', severity: 'warning' }, annotations: { summary: 'Staging server batch/staging-server-0 nearly full', description: 'Less than 10% of its claim is free: uploads will fail. Grow the claim or shorten the retention.' } }],
    },
  ];
  /** Series of a healthy cluster, on which no alert may fire. */
  const healthy = [
    { series: `up${driver('etl-driver-a')}`, values: '1x30' },
    { series: `metrics_spark_driver_appStatus_jobs_failedJobs_Count${driver('etl-driver-a')}`, values: '0x30' },
    { series: `metrics_spark_driver_ExecutorAllocationManager_executors_numberExecutorsExitedUnexpectedly_Count${driver('etl-driver-a')}`, values: '0 1 1x28' },
    { series: `metrics_spark_driver_LiveListenerBus_queue_appStatus_numDroppedEvents_Count${driver('etl-driver-a')}`, values: '0x30' },
    { series: 'sparkplane_allocator_pending_executors{job="sparkplane", namespace="batch", spark_application="etl"}', values: '3 3 0x28' },
    { series: 'sparkplane_allocator_expected_executors{job="sparkplane", namespace="batch", spark_application="etl"}', values: '10x30' },
    { series: 'sparkplane_allocator_registered_executors{job="sparkplane", namespace="batch", spark_application="etl"}', values: '4 8 10x28' },
    { series: 'up{job="sparkplane", namespace="batch", pod="staging-server-0"}', values: '1x30' },
    // A packet every minute.
    { series: 'sparkplane_shuffle_janitor_statsd_last_packet_timestamp_seconds{job="sparkplane", node="node-1"}', values: '0+60x30' },
    { series: 'sparkplane_staging_volume_free_bytes{job="sparkplane", namespace="batch", pod="staging-server-0"}', values: '5000x30' },
    { series: 'sparkplane_staging_stored_bytes{job="sparkplane", namespace="batch", pod="staging-server-0"}', values: '5000x30' },
    { series: 'kube_job_failed{job="kube-state-metrics", namespace="batch", job_name="etl-driver", condition="true"}', values: '0x30' },
    { series: 'kube_job_labels{job="kube-state-metrics", namespace="batch", job_name="etl-driver", label_sparkplane_io_application="etl", label_app_kubernetes_io_component="driver"}', values: '1x30' },
    { series: 'kube_deployment_status_replicas_available{job="kube-state-metrics", namespace="notebooks", deployment="notebooks-server"}', values: '0 0 1x28' },
    { series: 'kube_deployment_labels{job="kube-state-metrics", namespace="notebooks", deployment="notebooks-server", label_app_kubernetes_io_name="zeppelin"}', values: '1x30' },
  ];
  let folder: string;

  beforeAll(() => {
    folder = fs.mkdtempSync(path.join(dir, 'rules-'));
    fs.writeFileSync(path.join(folder, ALERT_RULES_FILE), toYaml({ groups: sparkplaneAlertRules() }));
  });

  it('has a case for every alert', () => {
    expect(cases.map((c) => c.alert).sort()).toEqual(sparkplaneAlertRules().flatMap((g) => g.rules.map((r) => r.alert)).sort());
  });

  it('are valid rules for promtool check rules', () => {
    const run = spawnSync(promtool, ['check', 'rules', path.join(folder, ALERT_RULES_FILE)], { encoding: 'utf8' });
    expect({ status: run.status, output: run.stdout + run.stderr }).toEqual({ status: 0, output: expect.stringMatching(/SUCCESS/) });
  });

  it('fire on their synthetic series with the labels and annotations given, and none fires on a healthy cluster', () => {
    const alerts = sparkplaneAlertRules().flatMap((g) => g.rules.map((r) => r.alert));
    const tests = [
      ...cases.map((c) => ({
        interval: '1m',
        input_series: c.series,
        alert_rule_test: [{ eval_time: c.evalTime, alertname: c.alert, exp_alerts: c.fires.map((f) => ({ exp_labels: f.labels, exp_annotations: f.annotations })) }],
      })),
      { interval: '1m', input_series: healthy, alert_rule_test: alerts.map((alertname) => ({ eval_time: '25m', alertname, exp_alerts: [] })) },
    ];
    const file = path.join(folder, 'tests.yml');
    fs.writeFileSync(file, toYaml({ rule_files: [ALERT_RULES_FILE], evaluation_interval: '1m', tests }));
    const run = spawnSync(promtool, ['test', 'rules', file], { encoding: 'utf8' });
    expect({ status: run.status, output: run.stdout + run.stderr }).toEqual({ status: 0, output: expect.stringMatching(/SUCCESS/) });
  });
});

/** The Prometheus Operator release whose CRDs the objects must satisfy (the newest the Go module proxy serves; kube-prometheus-stack installs this project's CRDs). */
const PROMETHEUS_OPERATOR_VERSION = 'v0.94.1';
const OPERATOR_CRDS = ['podmonitors', 'prometheusrules'];

describe('the Prometheus Operator objects, against the operator\'s own CRDs', () => {
  let namespace: string;
  let objects: KubeObj[];
  let warnings: string[];

  beforeAll(async () => {
    // The operator's module zip carries its CRDs (example/prometheus-operator-crd).
    const download = spawnSync('go', ['mod', 'download', '-json', `github.com/prometheus-operator/prometheus-operator@${PROMETHEUS_OPERATOR_VERSION}`], { encoding: 'utf8', env: { ...process.env, GOFLAGS: '' }, timeout: 300_000 });
    if (download.status !== 0) throw new Error(`go mod download of the operator failed: ${download.stdout}${download.stderr}`);
    const moduleDir = JSON.parse(download.stdout).Dir as string;
    for (const crd of OPERATOR_CRDS) {
      kubectl(['apply', '--server-side', '--field-manager=sparkplane-integration', '-f', path.join(moduleDir, 'example', 'prometheus-operator-crd', `monitoring.coreos.com_${crd}.yaml`)]);
      kubectl(['wait', '--for=condition=Established', '--timeout=60s', `crd/${crd}.monitoring.coreos.com`]);
    }
    namespace = await createRestrictedNamespace('sp-prom-operator');
    objects = renderPrometheusOperatorObjects({ namespace, targetNamespaces: ['batch', 'notebooks'], labels: { release: 'kube-prometheus-stack' }, scrapeInterval: '30s' }) as KubeObj[];
    warnings = apply(objects, { namespace }).stderr.split('\n').filter((line) => /warning/i.test(line));
  }, 600_000);

  afterAll(() => {
    deleteNamespace(namespace);
    for (const crd of OPERATOR_CRDS) kubectl(['delete', 'crd', `${crd}.monitoring.coreos.com`, '--wait=false', '--ignore-not-found'], { allowFailure: true });
  });

  it('are accepted by strict server-side apply against the CRDs\' schemas, with no warning', () => {
    expect(warnings).toEqual([]);
    const resource = (o: KubeObj) => (o.apiVersion.startsWith('monitoring.coreos.com/') ? `${o.kind.toLowerCase()}s.monitoring.coreos.com` : o.kind);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}: ${getObject(resource(o), o.metadata.name, namespace) ? 'stored' : 'missing'}`)).toEqual([
      'PodMonitor/sparkplane-spark-drivers: stored', 'PodMonitor/sparkplane-programs: stored', 'PrometheusRule/sparkplane-alerts: stored', 'ConfigMap/sparkplane-spark-dashboard: stored',
    ]);
  });

  it('refuse what the schemas refuse (the check bites): an unknown field', () => {
    const bad = { ...objects[0], metadata: { ...objects[0].metadata, name: 'bad' }, spec: { ...objects[0].spec, podMetricsEndpoint: [] } };
    const result = kubectl(['apply', '--server-side', '--field-manager=sparkplane-integration', '--validate=strict', '-n', namespace, '-f', '-'], { input: bad, allowFailure: true });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/\.spec\.podMetricsEndpoint: field not declared in schema/);
  });

  it('hold rules promtool accepts, taken from the stored PrometheusRule', () => {
    const stored = getObject('prometheusrules.monitoring.coreos.com', 'sparkplane-alerts', namespace)!;
    const file = path.join(dir, 'prometheusrule-spec.yml');
    fs.writeFileSync(file, toYaml(stored.spec));
    const run = spawnSync(promtool, ['check', 'rules', file], { encoding: 'utf8' });
    expect({ status: run.status, output: run.stdout + run.stderr }).toEqual({ status: 0, output: expect.stringMatching(new RegExp(`SUCCESS: ${sparkplaneAlertRules().flatMap((g) => g.rules).length} rules found`)) });
  });
});

it('the dashboard\'s queries are valid PromQL (promtool reads them as recording rules, variables given values)', () => {
  const rules = grafanaDashboardQueries().map((expr, i) => ({ record: `sparkplane:dashboard_query_${i}`, expr: expr.replace(/\$namespace/g, 'batch').replace(/\$application/g, '.*') }));
  const file = path.join(dir, 'dashboard-queries.yml');
  fs.writeFileSync(file, toYaml({ groups: [{ name: 'dashboard', rules }] }));
  const run = spawnSync(promtool, ['check', 'rules', file], { encoding: 'utf8' });
  expect({ status: run.status, output: run.stdout + run.stderr }).toEqual({ status: 0, output: expect.stringMatching(new RegExp(`SUCCESS: ${rules.length} rules found`)) });
});
