// Renders 1,000 distinct applications through the core, the cdk8s front end and the Pulumi front
// end (under mocks), in one process, and prints the time per application and the ratios to the
// core. Each measurement is the median of several rounds, after a warm-up round.
import { performance } from 'perf_hooks';
import * as pulumi from '@pulumi/pulumi';
import { App, Chart } from 'cdk8s';
import { renderSparkApplication, type SparkApplicationSpec } from '../lib/core';
import { SparkApplication as Cdk8sSparkApplication } from '../lib/cdk8s';
import { SparkApplication as PulumiSparkApplication } from '../lib/pulumi';

const APPLICATIONS = Number(process.env.BENCH_APPLICATIONS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

/** The i-th of N distinct applications: names, versions, sizes and options all vary. */
function spec(i: number): SparkApplicationSpec {
  const versions = ['3.5.8', '4.0.2', '4.1.1'];
  return {
    name: `app-${i}`,
    namespace: `team-${i % 17}`,
    sparkVersion: versions[i % versions.length],
    mainClass: `org.example.Job${i}`,
    mainApplicationFile: `local:///opt/jobs/job-${i}.jar`,
    arguments: [`--partition=${i}`],
    driver: { cores: 1 + (i % 4), memory: `${1 + (i % 8)}g`, env: { RUN: String(i) } },
    executor: i % 2 ? { instances: 1 + (i % 50), memory: `${2 + (i % 6)}g`, coreRequest: `${500 + i}m` } : { memory: '4g' },
    dynamicAllocation: i % 2 ? undefined : { minExecutors: i % 3, maxExecutors: 10 + (i % 90) },
    sparkConf: { 'spark.sql.shuffle.partitions': String(8 + (i % 400)) },
    volumes: i % 5 === 0 ? [{ name: 'data', persistentVolumeClaim: { claimName: `data-${i}` } }] : undefined,
  };
}

const specs = Array.from({ length: APPLICATIONS }, (_, i) => spec(i));

function renderCore(): void {
  for (const s of specs) renderSparkApplication(s);
}

function renderCdk8s(): void {
  const app = new App({ outdir: '/tmp/sparkplane-bench' });
  for (const s of specs) {
    const chart = new Chart(app, `chart-${s.name}`);
    new Cdk8sSparkApplication(chart, s.name, s);
    chart.toJson();
  }
}

let registered = 0;
pulumi.runtime.setMocks({
  newResource: (args) => {
    registered++;
    return { id: `${args.name}-id`, state: {} };
  },
  call: (args) => args.inputs,
}, 'bench', 'bench', false);

async function renderPulumi(): Promise<void> {
  const expected = registered + specs.length * 8; // a component and its 7 children per application
  for (const s of specs) new PulumiSparkApplication(`${s.name}-${registered}`, s);
  while (registered < expected) await new Promise((resolve) => setImmediate(resolve));
}

async function median(run: () => void | Promise<void>): Promise<number> {
  await run(); // warm-up
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

async function main(): Promise<void> {
  const core = await median(renderCore);
  const cdk8s = await median(renderCdk8s);
  const pulumiTime = await median(renderPulumi);
  const perApp = (ms: number) => `${((ms / APPLICATIONS) * 1000).toFixed(0).padStart(6)} µs/app`;
  console.log(`${APPLICATIONS} distinct applications, median of ${ROUNDS} rounds, Node ${process.version}`);
  console.log(`core    ${perApp(core)}   1.00x   (goal: under 1,000 µs/app)`);
  console.log(`cdk8s   ${perApp(cdk8s)}   ${(cdk8s / core).toFixed(2)}x   (goal: within 5x of the core)`);
  console.log(`pulumi  ${perApp(pulumiTime)}   ${(pulumiTime / core).toFixed(2)}x   (goal: within 5x of the core; under mocks)`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
