// The cdk8s way of deploying, on the real control plane (issue 10): the examples' charts synthesized,
// then `kubectl apply --server-side` with an ApplySet (KUBECTL_APPLYSET=true, --prune), as a team would
// run it from CI:
// - the first apply creates every object, with strict field validation and no warning;
// - applying the same synth again is a no-op: no object's resourceVersion moves (a plain
//   `kubectl diff` cannot say it: it would drop the ApplySet's part-of label);
// - removing a construct from the app and applying with --prune deletes exactly that construct's
//   objects, and leaves the others untouched.
// The examples' namespaces are their own ("spark-jobs"), created here as "restricted" and deleted after.
import { App, Testing } from 'cdk8s';
import { PySparkChart } from '../../examples/cdk8s/pyspark';
import { SparkPiChart } from '../../examples/cdk8s/spark-pi';
import { createNamedNamespace, deleteNamespaceAndWait, FIELD_MANAGER, getObject, kubectl, manifestStream, waitFor, type KubectlResult, type KubeObj } from './support/kube';

const NAMESPACE = 'spark-jobs';
const APPLYSET = 'configmaps/sparkplane-examples';

/** The synth of an app holding these example charts. */
function synth(charts: ReadonlyArray<'spark-pi' | 'pyspark'>): KubeObj[] {
  const app: App = Testing.app();
  if (charts.includes('spark-pi')) new SparkPiChart(app, 'spark-pi');
  if (charts.includes('pyspark')) new PySparkChart(app, 'pyspark');
  return app.charts.flatMap((chart) => chart.toJson()) as KubeObj[];
}

/** Server-side apply of the objects as the ApplySet's members, pruning members no longer there. */
function applySet(objects: readonly KubeObj[]): KubectlResult {
  return kubectl(
    ['apply', '--server-side', '--validate=strict', `--field-manager=${FIELD_MANAGER}`, '-n', NAMESPACE, `--applyset=${APPLYSET}`, '--prune', '-f', '-'],
    { input: manifestStream(objects), env: { KUBECTL_APPLYSET: 'true' } },
  );
}

/** kind/name → resourceVersion of the objects as stored. */
function versions(objects: readonly KubeObj[]): Record<string, string | undefined> {
  return Object.fromEntries(objects.map((o) => [`${o.kind}/${o.metadata.name}`, getObject(o.kind, o.metadata.name, NAMESPACE)?.metadata.resourceVersion]));
}

const both = synth(['spark-pi', 'pyspark']);
const sparkPiOnly = synth(['spark-pi']);
const removed = both.filter((o) => !sparkPiOnly.some((k) => k.kind === o.kind && k.metadata.name === o.metadata.name));
let first: KubectlResult;

beforeAll(async () => {
  await createNamedNamespace(NAMESPACE);
  first = applySet(both);
  // KWOK runs the driver pods to completion at once; the Jobs' status settles before versions are compared.
  for (const job of both.filter((o) => o.kind === 'Job')) {
    await waitFor(() => getObject('Job', job.metadata.name, NAMESPACE)?.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Complete' && c.status === 'True'), 60_000, `Job ${job.metadata.name} Complete`);
  }
}, 180_000);

afterAll(() => deleteNamespaceAndWait(NAMESPACE), 180_000);

it('creates every object of both examples, with no warning', () => {
  expect(first.stderr.split('\n').filter((line) => /warning/i.test(line))).toEqual([]);
  expect(both.length).toBe(14);
  expect(Object.entries(versions(both)).filter(([, version]) => version === undefined)).toEqual([]);
});

it('is a no-op when the same synth is applied again: no object rewritten', () => {
  const before = versions(both);
  expect(applySet(both).stdout).not.toMatch(/pruned/);
  expect(versions(both)).toEqual(before);
});

it('prunes exactly the objects of a construct removed from the app, and leaves the rest untouched', async () => {
  expect(removed.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
    'ConfigMap/pyspark-pi-spark-conf', 'Job/pyspark-pi-driver', 'Role/pyspark-pi-driver', 'RoleBinding/pyspark-pi-driver',
    'Service/pyspark-pi-driver', 'Service/pyspark-pi-ui', 'ServiceAccount/pyspark-pi-driver',
  ]);
  const kept = versions(sparkPiOnly);
  const result = applySet(sparkPiOnly);
  expect(result.stdout).toMatch(/pruned/);
  await waitFor(() => removed.every((o) => getObject(o.kind, o.metadata.name, NAMESPACE) === undefined), 60_000, 'the removed construct\'s objects gone');
  expect(versions(sparkPiOnly)).toEqual(kept);
});
