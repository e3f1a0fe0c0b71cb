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
import { renderPrometheus, sparkplaneScrapeConfigs, toYaml, type PrometheusSpec } from '../../lib/core';
import { accessOf } from './support/access-review';
import { applyAcrossNamespaces, createRestrictedNamespace, deleteNamespace, getObject, kubectl, list, waitFor, type KubeObj } from './support/kube';
import { REPO_ROOT } from './global-setup';

let promtool: string;
let dir: string;

beforeAll(() => {
  const build = spawnSync(path.join(REPO_ROOT, 'scripts', 'prometheus', 'build'), [], { encoding: 'utf8', timeout: 25 * 60_000 });
  if (build.status !== 0) throw new Error(`scripts/prometheus/build failed:\n${build.stderr}`);
  promtool = build.stdout.trim().split('\n').pop()!;
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

  it('renders a prometheus.yml that promtool accepts', () => {
    const config = objects.find((o) => o.kind === 'ConfigMap')!.data['prometheus.yml'];
    expect(checkConfigText(config)).toEqual({ status: 0, output: expect.stringMatching(/SUCCESS/) });
  });
});
