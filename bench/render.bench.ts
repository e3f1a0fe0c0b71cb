// Renders 1,000 distinct applications through the core, the cdk8s front end and the Pulumi front
// end (under mocks), in one process, and prints the time per application and the ratios to the
// core. Each measurement is the median of several rounds, after a warm-up round.
//
// Each front end is also measured against its framework's floor: the same plain objects, already
// rendered, emitted as bare ApiObjects / bare Pulumi resources. The front end's own cost is the
// difference; the rest is what cdk8s or Pulumi costs for any seven objects.
import { performance } from 'perf_hooks';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { ApiObject, App, Chart } from 'cdk8s';
import { renderSparkApplication, type KubeObject, type SparkApplicationSpec } from '../lib/core';
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
const renderedObjects: KubeObject[][] = specs.map((s) => renderSparkApplication(s));

function renderCore(): void {
  for (const s of specs) renderSparkApplication(s);
}

/**
 * An App per application; the chart's manifests as objects (`chart.toJson()`), and, separately,
 * as the YAML text `cdk8s synth` writes. One App holding all 1,000 charts would measure cdk8s's
 * synthesis, which walks the whole tree once per chart (quadratic in the number of charts).
 */
function cdk8sRenderer(asYaml: boolean) {
  return () => {
    for (const s of specs) {
      const app = new App({ outdir: '/tmp/sparkplane-bench' });
      const chart = new Chart(app, 'chart');
      new Cdk8sSparkApplication(chart, s.name, s);
      if (asYaml) app.synthYaml();
      else chart.toJson();
    }
  };
}

function cdk8sFloor(): void {
  for (const objects of renderedObjects) {
    const chart = new Chart(new App({ outdir: '/tmp/sparkplane-bench' }), 'chart');
    for (const object of objects) new ApiObject(chart, `${object.kind}-${object.metadata.name}`, { ...object });
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

class BareComponent extends pulumi.ComponentResource {
  constructor(name: string, objects: KubeObject[]) {
    super('bench:floor:Component', name, {});
    for (const object of objects) {
      const args = { ...object } as any;
      const opts = { parent: this };
      const logical = `${name}-${object.metadata.name}`;
      if (object.kind === 'ConfigMap') new k8s.core.v1.ConfigMap(logical, args, opts);
      else if (object.kind === 'Service') new k8s.core.v1.Service(logical, args, opts);
      else if (object.kind === 'ServiceAccount') new k8s.core.v1.ServiceAccount(logical, args, opts);
      else if (object.kind === 'Role') new k8s.rbac.v1.Role(logical, args, opts);
      else if (object.kind === 'RoleBinding') new k8s.rbac.v1.RoleBinding(logical, args, opts);
      else new k8s.batch.v1.Job(logical, args, opts);
    }
    this.registerOutputs({});
  }
}

async function pulumiFloor(): Promise<void> {
  const expected = registered + specs.length * 8;
  renderedObjects.forEach((objects, i) => new BareComponent(`floor-${i}-${registered}`, objects));
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
  // Users run compiled JavaScript; tsx turns on source maps, which make every stack trace Pulumi
  // captures (one per promise) several times dearer. Measure without them.
  process.setSourceMapsEnabled(false);
  const core = await median(renderCore);
  const cdk8s = await median(cdk8sRenderer(false));
  const cdk8sYaml = await median(cdk8sRenderer(true));
  const cdk8sBare = await median(cdk8sFloor);
  const pulumiTime = await median(renderPulumi);
  const pulumiBare = await median(pulumiFloor);
  const perApp = (ms: number) => `${((ms / APPLICATIONS) * 1000).toFixed(0).padStart(7)} µs/app`;
  const ratio = (ms: number) => `${(ms / core).toFixed(2).padStart(6)}x core`;
  console.log(`${APPLICATIONS} distinct applications, median of ${ROUNDS} rounds, Node ${process.version}`);
  console.log(`core            ${perApp(core)}  ${ratio(core)}   (goal: under 1,000 µs/app)`);
  console.log(`cdk8s           ${perApp(cdk8s)}  ${ratio(cdk8s)}   (goal: within 5x of the core)`);
  console.log(`  cdk8s floor   ${perApp(cdk8sBare)}  ${ratio(cdk8sBare)}   (the same objects as bare ApiObjects: cdk8s itself)`);
  console.log(`  cdk8s + YAML  ${perApp(cdk8sYaml)}  ${ratio(cdk8sYaml)}   (with app.synthYaml(): the YAML text cdk8s synth writes)`);
  console.log(`pulumi (mocks)  ${perApp(pulumiTime)}  ${ratio(pulumiTime)}   (goal: within 5x of the core)`);
  console.log(`  pulumi floor  ${perApp(pulumiBare)}  ${ratio(pulumiBare)}   (the same objects as bare resources in a bare component: Pulumi itself)`);
  console.log(`front-end cost over the framework floor: cdk8s ${((cdk8s - cdk8sBare) / core).toFixed(2)}x core, pulumi ${((pulumiTime - pulumiBare) / core).toFixed(2)}x core`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
