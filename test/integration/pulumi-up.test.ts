// `pulumi up` for real (issue 10): the Pulumi examples' own program functions deployed to the real
// control plane by the Pulumi CLI and the Kubernetes provider plugin, both built from the Go module
// proxy at the package's versions (scripts/pulumi/build). For each example:
// - `pulumi up` creates the stack, and what is stored is what `cdk8s synth` renders for the same
//   example: the same objects, each with every field the synth has (Pulumi adds only its await
//   annotation on the Job);
// - a second `pulumi up` changes nothing;
// - a changed prop (an executor count, an image, a retention) is an update of exactly the objects
//   that render it, and a further `pulumi up` changes nothing;
// - `pulumi destroy` removes every object, and nothing of ours is left in the namespace.
// A changed image, and a driver no node can take (`pulumi up` must not wait for it), have stacks of
// their own. The examples' namespaces are their own, created here as an administrator would;
// so are PersistentVolumes for the claims (the harness has no storage provisioner).
// The staged-PySpark example's `pulumi up` uploads pi.py through the API server's service proxy to
// the StagingServer it deploys: that server's pod runs here as the real program (support/local-pod.ts),
// so its dynamic StagedFiles resource runs as Pulumi runs it, in the provider process Pulumi starts.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing, type Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { PulumiFn, Stack, StepEventMetadata } from '@pulumi/pulumi/automation';
import { MonitoringChart } from '../../examples/cdk8s/monitoring';
import { PySparkChart } from '../../examples/cdk8s/pyspark';
import { ShuffleServiceChart } from '../../examples/cdk8s/shuffle-service';
import { SparkPiChart } from '../../examples/cdk8s/spark-pi';
import { StagedPySparkChart } from '../../examples/cdk8s/staged-pyspark';
import { ZeppelinChart } from '../../examples/cdk8s/zeppelin';
import { monitoringProgram } from '../../examples/pulumi/monitoring';
import { pySparkProgram } from '../../examples/pulumi/pyspark';
import { shuffleServiceProgram } from '../../examples/pulumi/shuffle-service';
import { sparkPiProgram } from '../../examples/pulumi/spark-pi';
import { stagedPySparkProgram } from '../../examples/pulumi/staged-pyspark';
import { zeppelinProgram } from '../../examples/pulumi/zeppelin';
import { blobPath, READ_TOKEN_KEY, STAGING_DATA_PORT, STAGING_TOKEN_HEADER } from '../../lib/core';
import { SparkApplication } from '../../lib/pulumi';
import { pulumiOnlyAnnotations } from '../../lib/pulumi/spark-application';
import { KubeApi, loadKubeconfig } from '../e2e/support/kube-api';
import { connection } from './support/cluster-env';
import { createNamedNamespace, deleteNamespaceAndWait, getObject, kubectl, type KubeObj } from './support/kube';
import { LocalPods } from './support/local-pod';
import { PulumiSandbox, pulumiToolsRoot } from './support/pulumi';
import { localStagingServer, nonLoopbackIPv4 } from './support/staging-backend';

interface Example {
  readonly name: string;
  readonly program: PulumiFn;
  readonly chart: new (scope: Construct, id: string) => Chart;
  /** Namespaces the example expects to exist. */
  readonly namespaces: readonly string[];
  /** Claims (namespace, name, size) that need a PersistentVolume. */
  readonly claims?: ReadonlyArray<readonly [string, string, string]>;
  /** The example with one prop changed, and what the update must touch ("<type> <operations>"). */
  readonly change: { readonly prop: string; readonly program: PulumiFn; readonly touches: readonly string[] };
  /** Runs before the first `pulumi up` (after the namespaces exist); what it returns runs after the last test. */
  readonly setUp?: (synth: readonly KubeObj[]) => Promise<() => Promise<void>>;
  /** What else the first `pulumi up` must have done. */
  readonly also?: { readonly what: string; readonly check: (stack: Stack, steps: readonly string[]) => Promise<void> };
}

/** Operations of a resource Pulumi replaces (the ConfigMaps, whose data the provider treats as immutable, and Jobs, whose template is). */
const REPLACED = 'create-replacement,delete-replaced,replace';

const JOB_FILE = path.join(__dirname, '..', '..', 'examples', 'jobs', 'pi.py');

/** pi.py with one more line: another file to stage. */
function changedJobFile(): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sp-changed-job-')), 'pi.py');
  fs.writeFileSync(file, `${fs.readFileSync(JOB_FILE, 'utf8')}\n# changed\n`);
  return file;
}

const sha256Of = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** The StagingServer pods of the staged example run here, each as the real staging server. */
async function runStagingServerHere(synth: readonly KubeObj[]): Promise<() => Promise<void>> {
  const deployment = synth.find((o) => o.kind === 'Deployment' && o.metadata.name === 'staging-server')!;
  const admin = new KubeApi(loadKubeconfig(connection().kubeconfig));
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-local-staging-'));
  const pods = await LocalPods.run(admin, {
    namespace: deployment.metadata.namespace!, labelSelector: deployment.spec.selector.matchLabels, address: nonLoopbackIPv4(), start: localStagingServer(admin, workDir),
  });
  return async () => {
    await pods.stop();
    admin.close();
    fs.rmSync(workDir, { recursive: true, force: true });
    expect(pods.problems).toEqual([]);
  };
}

/**
 * The StagedFiles resource was done before the driver Job was started; the file is on the staging
 * server (asked with the read token the server put into its Secret, as the driver asks), and the
 * resource outputs its URL.
 */
async function checkStaged(stack: Stack, steps: readonly string[]): Promise<void> {
  expect(steps.indexOf('done StagedFiles/staged-pi-staged-files')).toBeGreaterThanOrEqual(0);
  expect(steps.indexOf('done StagedFiles/staged-pi-staged-files')).toBeLessThan(steps.indexOf('start Job/staged-pi-driver'));
  const digest = sha256Of(JOB_FILE);
  const secret = getObject('Secret', 'staging-server-tokens', 'spark-staged')!;
  const readToken = Buffer.from(secret.data[READ_TOKEN_KEY], 'base64').toString();
  const answer = await fetch(`http://${nonLoopbackIPv4()}:${STAGING_DATA_PORT}${blobPath(digest)}`, { method: 'HEAD', headers: { [STAGING_TOKEN_HEADER]: readToken } });
  expect({ status: answer.status, size: answer.headers.get('content-length') }).toEqual({ status: 200, size: String(fs.statSync(JOB_FILE).size) });
  const { deployment } = await stack.exportStack();
  const staged = (deployment.resources as Array<{ type: string; outputs?: { files?: unknown } }>).filter((r) => r.type.startsWith('pulumi-nodejs:dynamic'));
  expect(staged.map((r) => r.outputs?.files)).toEqual([[{ name: 'pi.py', sha256: digest, size: fs.statSync(JOB_FILE).size, url: `http://staging-server.spark-staged.svc:${STAGING_DATA_PORT}${blobPath(digest)}` }]]);
}

const EXAMPLES: Example[] = [
  {
    name: 'spark-pi', program: sparkPiProgram, chart: SparkPiChart, namespaces: ['spark-jobs'],
    change: { prop: 'executor.instances', program: () => sparkPiProgram({ executorInstances: 3 }), touches: [`ConfigMap/spark-pi-spark-conf ${REPLACED}`, `Job/spark-pi-driver ${REPLACED}`] },
  },
  {
    name: 'pyspark', program: pySparkProgram, chart: PySparkChart, namespaces: ['spark-jobs'],
    change: { prop: 'dynamicAllocation.maxExecutors', program: () => pySparkProgram({ maxExecutors: 12 }), touches: [`ConfigMap/pyspark-pi-spark-conf ${REPLACED}`, `Job/pyspark-pi-driver ${REPLACED}`] },
  },
  {
    name: 'shuffle-service', program: shuffleServiceProgram, chart: ShuffleServiceChart, namespaces: [],
    change: { prop: 'janitorImage', program: () => shuffleServiceProgram({ janitorImage: 'registry.example.com/sparkplane:0.1.1' }), touches: ['DaemonSet/shuffle-service update'] },
  },
  {
    name: 'staged-pyspark', program: stagedPySparkProgram, chart: StagedPySparkChart, namespaces: ['spark-staged'], claims: [['spark-staged', 'staging-server-data', '20Gi']],
    setUp: runStagingServerHere,
    also: { what: 'uploads the local file through the API server\'s service proxy before it creates the driver Job', check: checkStaged },
    change: { prop: 'mainApplicationFile', program: () => stagedPySparkProgram({ jobFile: changedJobFile() }), touches: [
      // The new file is uploaded; its digest is in the driver's fetch-staged init container only.
      `Job/staged-pi-driver ${REPLACED}`, 'StagedFiles/staged-pi-staged-files update',
    ] },
  },
  {
    name: 'zeppelin', program: zeppelinProgram, chart: ZeppelinChart, namespaces: ['notebooks'], claims: [['notebooks', 'zeppelin-data', '5Gi']],
    change: { prop: 'spark.executor.memory', program: () => zeppelinProgram({ executorMemory: '3g' }), touches: [
      // The seeded interpreter settings, the interpreter pod's template (it carries the Spark
      // configuration's digest), the executors' template, and the server, which reads them at start.
      `ConfigMap/zeppelin-interpreter-settings ${REPLACED}`, `ConfigMap/zeppelin-interpreter-template ${REPLACED}`, `ConfigMap/zeppelin-spark-conf ${REPLACED}`, 'Deployment/zeppelin-server update',
    ] },
  },
  {
    name: 'monitoring', program: monitoringProgram, chart: MonitoringChart, namespaces: ['monitoring', 'spark-jobs'], claims: [['monitoring', 'prometheus-data', '50Gi']],
    change: { prop: 'retention', program: () => monitoringProgram({ retention: '15d' }), touches: ['Deployment/prometheus update'] },
  },
];

/** "<Kind>/<name>" of a Kubernetes object or a StagedFiles resource of a step; undefined for the rest. */
function resourceKey(meta: StepEventMetadata): string | undefined {
  if (meta.type.startsWith('kubernetes:')) {
    const inputs = (meta.new ?? meta.old)?.inputs as { kind?: string; metadata?: { name?: string } } | undefined;
    return `${inputs?.kind}/${inputs?.metadata?.name}`;
  }
  return meta.type.startsWith('pulumi-nodejs:dynamic') ? `StagedFiles/${meta.urn.split('::').pop()}` : undefined;
}

/** The objects a preview of `stack` would change, as "<Kind>/<name> <operations>". */
async function plannedChanges(stack: Stack): Promise<string[]> {
  const changes = new Map<string, Set<string>>();
  await stack.preview({
    onEvent: (event) => {
      const meta = event.resourcePreEvent?.metadata;
      const key = meta && meta.op !== 'same' ? resourceKey(meta) : undefined;
      if (key) changes.set(key, (changes.get(key) ?? new Set()).add(meta!.op));
    },
  });
  return [...changes].map(([key, ops]) => `${key} ${[...ops].sort().join(',')}`).sort();
}

let sandbox: PulumiSandbox;

/** Prints a figure the closing notes report (Jest keeps stderr). */
function recordFigure(name: string, figures: Record<string, unknown>): void {
  process.stderr.write(`[integration] ${name}: ${JSON.stringify(figures)}\n`);
}

beforeAll(async () => {
  sandbox = new PulumiSandbox(pulumiToolsRoot());
  await sandbox.start();
}, 50 * 60_000);

afterAll(() => sandbox?.close());

/** Every kind our components put into a namespace, and pods. */
const KINDS_IN_A_NAMESPACE = 'pods,jobs,deployments,daemonsets,services,configmaps,secrets,serviceaccounts,roles,rolebindings,persistentvolumeclaims,networkpolicies,ingresses';

const keyOf = (o: KubeObj) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** The Kubernetes objects the stack holds, as kind/namespace/name. */
async function stackObjects(stack: Stack): Promise<string[]> {
  const { deployment } = await stack.exportStack();
  return (deployment.resources as Array<{ type: string; outputs?: { kind?: string; metadata?: { name: string; namespace?: string } } }>)
    .filter((r) => r.type.startsWith('kubernetes:') && r.outputs?.kind)
    .map((r) => `${r.outputs!.kind}/${r.outputs!.metadata!.namespace ?? ''}/${r.outputs!.metadata!.name}`)
    .sort();
}

describe.each(EXAMPLES)('the $name example, through the Pulumi CLI', (example) => {
  let stack: Stack;
  let synth: KubeObj[];
  let upSeconds: number;
  /** The first `pulumi up`'s resource steps, in order: "start|done <Kind>/<name>". */
  const steps: string[] = [];
  let tearDown: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    for (const namespace of example.namespaces) await createNamedNamespace(namespace);
    for (const [namespace, claim, size] of example.claims ?? []) {
      kubectl(['delete', 'persistentvolume', `${namespace}-${claim}`, '--ignore-not-found'], { allowFailure: true });
      kubectl(['create', '-f', '-'], { input: {
        apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: `${namespace}-${claim}` },
        spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce'], storageClassName: '', hostPath: { path: `/var/lib/${claim}` }, claimRef: { namespace, name: claim } },
      } });
    }
    synth = Testing.synth(new example.chart(Testing.app(), example.name)) as KubeObj[];
    tearDown = await example.setUp?.(synth);
    stack = await sandbox.stack(`sparkplane-example-${example.name}`, example.program);
    const started = Date.now();
    await stack.up({ onEvent: (event) => {
      const [phase, meta] = event.resourcePreEvent ? ['start', event.resourcePreEvent.metadata] : event.resOutputsEvent ? ['done', event.resOutputsEvent.metadata] : [];
      const key = meta && resourceKey(meta);
      if (key) steps.push(`${phase} ${key}`);
    } });
    upSeconds = (Date.now() - started) / 1000;
  }, 15 * 60_000);

  afterAll(async () => {
    await tearDown?.();
    for (const namespace of example.namespaces) await deleteNamespaceAndWait(namespace);
    for (const [namespace, claim] of example.claims ?? []) kubectl(['delete', 'persistentvolume', `${namespace}-${claim}`, '--ignore-not-found', '--wait=false'], { allowFailure: true });
  }, 5 * 60_000);

  it('creates exactly the objects the cdk8s synth renders, each with every field of the synth', async () => {
    expect(await stackObjects(stack)).toEqual(synth.map(keyOf).sort());
    for (const expected of synth) {
      const object = keyOf(expected);
      const live = getObject(expected.kind, expected.metadata.name, expected.metadata.namespace);
      const extra = pulumiOnlyAnnotations(expected as never);
      const withPulumi = Object.keys(extra).length ? { ...expected, metadata: { ...expected.metadata, annotations: { ...expected.metadata.annotations, ...extra } } } : expected;
      // Every field of the synth, as rendered (the API server's defaults are extra fields, which a subset match allows).
      expect({ object, stored: live }).toMatchObject({ object, stored: withPulumi });
      // Nothing added to our labels (but the name label the API server gives every Namespace).
      const { 'kubernetes.io/metadata.name': _, ...liveLabels } = live!.metadata.labels ?? {};
      expect({ object, labels: liveLabels }).toEqual({ object, labels: expected.metadata.labels ?? {} });
    }
  });

  if (example.also) {
    it(example.also.what, async () => {
      await example.also!.check(stack, steps);
    });
  }

  it('changes nothing on a second `pulumi up`', async () => {
    const result = await stack.up();
    expect(Object.keys(result.summary.resourceChanges ?? {})).toEqual(['same']);
  });

  it('touches exactly the objects that render a changed prop, and then changes nothing', async () => {
    const changed = await sandbox.stack(`sparkplane-example-${example.name}`, example.change.program);
    expect({ prop: example.change.prop, touches: await plannedChanges(changed) }).toEqual({ prop: example.change.prop, touches: example.change.touches });
    await changed.up();
    expect(Object.keys((await changed.up()).summary.resourceChanges ?? {})).toEqual(['same']);
    // Back to the example as written, for the destroy below.
    await stack.up();
  });

  it('removes every object on `pulumi destroy`', async () => {
    const started = Date.now();
    await stack.destroy();
    const destroySeconds = (Date.now() - started) / 1000;
    recordFigure(`pulumi ${example.name}`, { upSeconds, destroySeconds, objects: synth.length });
    const left = synth.filter((o) => o.kind !== 'Namespace' && getObject(o.kind, o.metadata.name, o.metadata.namespace) !== undefined).map(keyOf);
    expect(left).toEqual([]);
    // Nothing else either (pods included), but what every namespace has.
    for (const namespace of example.namespaces) {
      const names = kubectl(['get', KINDS_IN_A_NAMESPACE, '-n', namespace, '-o', 'name']).stdout.split('\n').filter(Boolean);
      expect(names.filter((n) => !['serviceaccount/default', 'configmap/kube-root-ca.crt'].includes(n))).toEqual([]);
    }
    await stack.workspace.removeStack('integration');
  });
});

describe('a changed image, through the Pulumi CLI', () => {
  let stack: Stack;
  let image = 'apache/spark:4.0.2';
  const program: PulumiFn = async () => {
    new SparkApplication('resized', {
      namespace: 'spark-jobs', sparkVersion: '4.0.2', image,
      mainClass: 'org.apache.spark.examples.SparkPi', mainApplicationFile: 'local:///opt/spark/examples/jars/spark-examples_2.13-4.0.2.jar',
    });
  };

  beforeAll(async () => {
    await createNamedNamespace('spark-jobs');
    stack = await sandbox.stack('sparkplane-resized', program);
    await stack.up();
  }, 10 * 60_000);

  afterAll(async () => {
    await stack?.destroy();
    await deleteNamespaceAndWait('spark-jobs');
  }, 5 * 60_000);

  it('replaces the Spark configuration and the driver Job for another image, and nothing else; a second up changes nothing', async () => {
    image = 'apache/spark:4.0.2-java21';
    expect(await plannedChanges(stack)).toEqual([`ConfigMap/resized-spark-conf ${REPLACED}`, `Job/resized-driver ${REPLACED}`]);
    await stack.up();
    expect(getObject('Job', 'resized-driver', 'spark-jobs')!.spec.template.spec.containers[0].image).toBe('apache/spark:4.0.2-java21');
    expect(Object.keys((await stack.up()).summary.resourceChanges ?? {})).toEqual(['same']);
  });
});

describe('a driver that cannot be scheduled, through the Pulumi CLI', () => {
  let stack: Stack;
  const program: PulumiFn = async () => {
    new SparkApplication('queued', {
      namespace: 'spark-jobs', sparkVersion: '4.0.2',
      mainClass: 'org.apache.spark.examples.SparkPi', mainApplicationFile: 'local:///opt/spark/examples/jars/spark-examples_2.13-4.0.2.jar',
      // No node has it: the driver pod stays Pending, as in a full cluster, or for a Job that runs for hours.
      driver: { nodeSelector: { 'sparkplane.dev/no-such-pool': 'true' } },
    });
  };

  beforeAll(async () => {
    await createNamedNamespace('spark-jobs');
    stack = await sandbox.stack('sparkplane-queued', program);
  }, 5 * 60_000);

  afterAll(async () => {
    await stack?.destroy();
    await deleteNamespaceAndWait('spark-jobs');
  }, 5 * 60_000);

  it('does not make `pulumi up` wait for the Job to finish, nor for the driver Services to get an endpoint', async () => {
    const started = Date.now();
    const result = await stack.up();
    const seconds = (Date.now() - started) / 1000;
    recordFigure('pulumi up with a driver that never starts', { seconds });
    expect(result.summary.result).toBe('succeeded');
    // Not a speed claim: Pulumi's own await would hold the update for its 10-minute timeout, then fail it.
    expect(seconds).toBeLessThan(120);
    const job = getObject('Job', 'queued-driver', 'spark-jobs')!;
    expect(job.status.startTime).toBeDefined();
    expect(job.status.conditions ?? []).toEqual([]);
    const pods = kubectl(['get', 'pods', '-n', 'spark-jobs', '-l', 'batch.kubernetes.io/job-name=queued-driver', '-o', 'jsonpath={.items[*].status.phase}']).stdout;
    expect(pods).toBe('Pending');
  });
});
