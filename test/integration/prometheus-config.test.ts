// The rendered Prometheus configuration, read by Prometheus' own promtool (3.16.0, built from the
// Go module proxy by scripts/prometheus/build): the scrape configurations for monitored Spark drivers
// and the library's programs are valid Prometheus configuration, Kubernetes discovery and relabeling
// included. A broken configuration fails the same check, so the check is not a formality.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { sparkplaneScrapeConfigs, toYaml } from '../../lib/core';
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

/** `promtool check config` of a prometheus.yml with these scrape configurations. */
function checkConfig(scrapeConfigs: unknown[]): { status: number | null; output: string } {
  const file = path.join(dir, `prometheus-${Date.now()}.yml`);
  fs.writeFileSync(file, toYaml({ global: { scrape_interval: '15s' }, scrape_configs: scrapeConfigs }));
  const run = spawnSync(promtool, ['check', 'config', file], { encoding: 'utf8' });
  return { status: run.status, output: run.stdout + run.stderr };
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
