// A real Prometheus server (3.16.0, built from the Go module proxy by scripts/prometheus/build) on
// loopback, with the library's alerting rules, scraping real programs on the real control plane:
// - the allocator sidecar and the staging server, each as the bundled image program: their /metrics
//   are parsed by Prometheus itself, and the rules evaluate on their series (executors that cannot be
//   scheduled put the Pending and below-target alerts in their pending state);
// - kube-state-metrics v2.18.0 watching the test namespace, run with the label allowlist the docs
//   give: a driver Job that passes its deadline fires SparkDriverFailed for its application, and a
//   Zeppelin server that cannot start puts ZeppelinDown in its pending state, while a healthy
//   application and a running Zeppelin raise nothing.
// Targets are static here: the processes listen on loopback, and KWOK pods have no real addresses.
// Kubernetes discovery of live pods is covered by the e2e suite (test/e2e/monitoring.test.ts).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  ALERT_RULES_FILE, KUBE_STATE_METRICS, KUBE_STATE_METRICS_LABELS_ALLOWLIST, renderSparkApplication, renderZeppelin, sparkplaneAlertRules, toYaml,
} from '../../lib/core';
import { bundleImageProgram, ImageProgramProcess } from '../support/image-program';
import { monitoringToolsDir, startKubeStateMetrics, startPrometheus, type LoopbackProgram, type PrometheusServer } from '../support/monitoring-tools';
import { AllocatorFixture } from './support/allocator-fixture';
import { connection } from './support/cluster-env';
import { apply, createRestrictedNamespace, deleteNamespace, getObject, kubectl, waitFor, type KubeObj } from './support/kube';

let tools: string;
let namespace: string;
let fixture: AllocatorFixture;
let staging: ImageProgramProcess;
let stagingDir: string;
let ksm: LoopbackProgram;
let prometheus: PrometheusServer;

beforeAll(async () => {
  tools = monitoringToolsDir();
  namespace = await createRestrictedNamespace('sp-prom-server');

  // The allocator, with executors no node can take: they stay Pending.
  fixture = new AllocatorFixture({
    namespace, name: 'scraped', maxExecutors: 3,
    customizePod: (pod) => { pod.spec.nodeSelector = { 'sparkplane.dev/no-such-node': 'true' }; },
  });
  await fixture.start();
  fixture.bridge.setTarget(3);

  stagingDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-prom-staging-'));
  staging = new ImageProgramProcess(await bundleImageProgram(), ['staging-server'], {
    PATH: process.env.PATH, KUBECONFIG: connection().kubeconfig, SPARKPLANE_STAGING_NAMESPACE: namespace,
    SPARKPLANE_STAGING_DIR: stagingDir, SPARKPLANE_STAGING_TOKENS_SECRET: 'staging-tokens',
    SPARKPLANE_STAGING_PORT: '0', SPARKPLANE_STAGING_METRICS_PORT: '0', SPARKPLANE_STAGING_HOST: '127.0.0.1', SPARKPLANE_STAGING_MIN_FREE: '0',
  });
  kubectl(['-n', namespace, 'create', 'secret', 'generic', 'staging-tokens']);
  const { metricsPort: stagingMetricsPort } = (await staging.waitForLog('staging server started')) as unknown as { metricsPort: number };

  // A driver Job that passes its deadline (failed for good), and one that completes.
  for (const [name, deadlineSeconds] of [['doomed', 1], ['healthy', undefined]] as const) {
    apply(renderSparkApplication({
      name, namespace, sparkVersion: '4.0.5', mainClass: 'org.example.Main', mainApplicationFile: 'local:///opt/app.jar',
      driver: { retries: 0, deadlineSeconds, nodeSelector: { 'sparkplane.dev/kwok-node': 'true' } },
    }), { namespace });
  }
  // A Zeppelin that runs (its claim bound), and one whose claim never binds.
  kubectl(['create', '-f', '-'], { input: {
    apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: `${namespace}-zeppelin` },
    spec: { capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: '', hostPath: { path: '/var/lib/zeppelin' }, claimRef: { namespace, name: 'notebooks-data' } },
  } });
  for (const name of ['notebooks', 'broken']) {
    apply(renderZeppelin({
      name, namespace, sparkplaneImage: 'sparkplane:e2e', auth: { allowAnonymousAccessByAnyoneWhoCanReachZeppelin: true },
      spark: { sparkVersion: '4.0.5' }, nodeSelector: { 'sparkplane.dev/kwok-node': 'true' },
    }), { namespace });
  }

  ksm = await startKubeStateMetrics(tools, connection().kubeconfig!, [namespace], KUBE_STATE_METRICS_LABELS_ALLOWLIST);
  const target = (url: string, labels: Record<string, string>) => ({ targets: [new URL(url).host], labels });
  prometheus = await startPrometheus(tools, {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: [ALERT_RULES_FILE],
    scrape_configs: [
      {
        // The labels the `sparkplane` job's relabeling gives these pods.
        job_name: 'sparkplane',
        static_configs: [
          target(fixture.metricsUrl, { namespace, pod: fixture.driverPod.metadata.name, container: 'allocator', spark_application: 'scraped', spark_role: 'driver' }),
          target(`http://127.0.0.1:${stagingMetricsPort}`, { namespace, pod: 'staging-0', container: 'staging-server', component: 'staging-server' }),
        ],
      },
      { job_name: 'kube-state-metrics', static_configs: [{ targets: [new URL(ksm.url).host] }] },
    ],
  }, { [ALERT_RULES_FILE]: toYaml({ groups: sparkplaneAlertRules() }) });
}, 10 * 60_000);

afterAll(async () => {
  await prometheus?.stop();
  await ksm?.stop();
  await staging?.kill();
  await fixture?.stop();
  deleteNamespace(namespace);
  kubectl(['delete', 'persistentvolume', `${namespace}-zeppelin`, '--wait=false', '--ignore-not-found'], { allowFailure: true });
  if (stagingDir) fs.rmSync(stagingDir, { recursive: true, force: true });
});

/** The alert's series in Prometheus' alerts API once it has this state. */
function alertIn(state: 'pending' | 'firing', name: string, match: Record<string, string>) {
  return waitFor(async () => (await prometheus.alerts()).find((a) => a.labels.alertname === name && a.state === state && Object.entries(match).every(([k, v]) => a.labels[k] === v)), 90_000, `${name} ${state} for ${JSON.stringify(match)}`, 1000);
}

it('scrapes the allocator\'s and the staging server\'s real /metrics, which Prometheus parses without error', async () => {
  const targets = await waitFor(async () => {
    const found = (await prometheus.targets()).filter((t) => t.labels.job === 'sparkplane');
    return found.length === 2 && found.every((t) => t.health === 'up') ? found : undefined;
  }, 60_000, 'both program targets up', 1000);
  expect(targets.map((t) => t.lastError)).toEqual(['', '']);
  expect((await prometheus.query('up{job="sparkplane"}')).map((s) => s.value)).toEqual([1, 1]);
});

it('holds the allocator\'s figures as the sidecar counts them: 3 expected, none registered, 3 Pending', async () => {
  await waitFor(async () => (await prometheus.query(`sparkplane_allocator_pending_executors{namespace="${namespace}"}`))[0]?.value === 3, 60_000, 'three Pending executors in Prometheus', 1000);
  const value = async (name: string) => (await prometheus.query(`${name}{job="sparkplane", spark_application="scraped"}`))[0]?.value;
  expect(await value('sparkplane_allocator_expected_executors')).toBe(3);
  expect(await value('sparkplane_allocator_registered_executors')).toBe(0);
  expect(await fixture.metric('sparkplane_allocator_pending_executors')).toBe(3);
});

it('evaluates the rules on those series: executors Pending and the allocator below its target, each pending its `for`', async () => {
  await alertIn('pending', 'SparkExecutorsPending', { namespace, spark_application: 'scraped', severity: 'warning' });
  await alertIn('pending', 'SparkAllocatorBelowTarget', { namespace, spark_application: 'scraped' });
});

it('reads the staging server\'s claim figures, with the disk alert\'s ratio between 0 and 1 and not firing', async () => {
  const rule = sparkplaneAlertRules().flatMap((g) => g.rules).find((r) => r.alert === 'StagingServerDiskNearlyFull')!;
  const ratio = await waitFor(async () => (await prometheus.query(rule.expr.replace(/ < 0\.1$/, '')))[0], 30_000, 'the free-space ratio', 1000);
  expect(ratio.value).toBeGreaterThan(0);
  expect(ratio.value).toBeLessThanOrEqual(1);
  expect(ratio.metric).toMatchObject({ namespace, pod: 'staging-0' });
  expect(await prometheus.query(rule.expr)).toEqual([]);
});

it('gets every kube-state-metrics series the rules use from the real kube-state-metrics', async () => {
  const text = await (await fetch(`${ksm.url}/metrics`)).text();
  const served = new Set(text.split('\n').filter((l) => !l.startsWith('#')).map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)?.[0]));
  expect(Object.values(KUBE_STATE_METRICS).filter((name) => !served.has(name))).toEqual([]);
  // The allowlist makes the labels the rules join on appear.
  expect(text).toMatch(new RegExp(`kube_job_labels\\{[^}]*label_sparkplane_io_application="doomed"`));
  expect(text).toMatch(new RegExp(`kube_deployment_labels\\{[^}]*label_app_kubernetes_io_name="zeppelin"`));
});

it('fires SparkDriverFailed for the application whose driver Job failed for good, and for no other', async () => {
  await waitFor(() => getObject('Job', 'doomed-driver', namespace)?.status?.conditions?.find((c: { type: string; status: string }) => c.type === 'Failed' && c.status === 'True'), 60_000, 'the doomed Job Failed');
  const alert = await alertIn('firing', 'SparkDriverFailed', { namespace, spark_application: 'doomed' });
  expect(alert.labels).toMatchObject({ job_name: 'doomed-driver', severity: 'critical' });
  expect((await prometheus.alerts()).filter((a) => a.labels.alertname === 'SparkDriverFailed').map((a) => a.labels.spark_application)).toEqual(['doomed']);
});

it('puts ZeppelinDown in its pending state for the server that cannot start, and not for the running one', async () => {
  await waitFor(() => (getObject('Deployment', 'notebooks-server', namespace) as KubeObj | undefined)?.status?.availableReplicas === 1, 90_000, 'the notebooks server available');
  const alert = await alertIn('pending', 'ZeppelinDown', { namespace, deployment: 'broken-server' });
  expect(alert.labels.severity).toBe('critical');
  expect((await prometheus.alerts()).filter((a) => a.labels.alertname === 'ZeppelinDown').map((a) => a.labels.deployment)).toEqual(['broken-server']);
});
