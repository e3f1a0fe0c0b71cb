// Every cdk8s example, applied to a real API server in a namespace that enforces Pod Security
// "restricted": admission, the Job controller, the scheduler, RBAC, service-account tokens and the
// garbage collector are Kubernetes' own code (scripts/cluster; KWOK only fakes the nodes).
import { Testing } from 'cdk8s';
import { PySparkChart } from '../../examples/cdk8s/pyspark';
import { SparkPiChart } from '../../examples/cdk8s/spark-pi';
import { connection } from './support/cluster-env';
import {
  apply, createRestrictedNamespace, deleteNamespace, eventsFor, getObject, kubectl, kubectlDocuments, list, manifestStream, serverSideDiff, waitFor,
  type KubeObj,
} from './support/kube';
import { executorPod, intoNamespace, serviceAccountTokenMounts, TEST_APP_ID, type RenderedApplication } from './support/spark';

/** The examples; a new one joins the suite by being listed here. */
const examples: Array<{ name: string; synth: () => KubeObj[] }> = [
  { name: 'SparkPi (examples/cdk8s/spark-pi.ts)', synth: () => Testing.synth(new SparkPiChart(Testing.app(), 'spark-pi')) as KubeObj[] },
  { name: 'PySpark (examples/cdk8s/pyspark.ts)', synth: () => Testing.synth(new PySparkChart(Testing.app(), 'pyspark')) as KubeObj[] },
];

/** Every RBAC verb of a resource; the Role's resources must be denied the ones it does not list. */
const ALL_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];

/** What a driver must never be allowed, whatever its Role says. `namespace: 'own'` is the application's namespace. */
const MUST_BE_DENIED: Array<{ verb: string; resource: string; group?: string; subresource?: string; namespace: 'own' | string }> = [
  { verb: 'get', resource: 'secrets', namespace: 'own' },
  { verb: 'list', resource: 'secrets', namespace: 'own' },
  { verb: 'watch', resource: 'secrets', namespace: 'own' },
  { verb: 'list', resource: 'pods', namespace: 'default' },
  { verb: 'list', resource: 'pods', namespace: '' }, // all namespaces
  { verb: 'list', resource: 'nodes', namespace: '' },
  { verb: 'get', resource: 'nodes', namespace: '' },
  { verb: 'create', resource: 'namespaces', namespace: '' },
  { verb: 'create', resource: 'clusterroles', group: 'rbac.authorization.k8s.io', namespace: '' },
  { verb: 'create', resource: 'rolebindings', group: 'rbac.authorization.k8s.io', namespace: 'own' },
  { verb: 'get', resource: 'configmaps', namespace: 'own' },
  { verb: 'list', resource: 'configmaps', namespace: 'own' },
  { verb: 'create', resource: 'pods', subresource: 'exec', namespace: 'own' },
  { verb: 'create', resource: 'services', namespace: 'own' },
];

const KWOK_NODE_PREFIX = 'sparkplane-kwok-node-';

describe.each(examples)('example $name', ({ synth }) => {
  let namespace: string;
  let app: RenderedApplication;
  let firstApply: { stdout: string; stderr: string };
  let driver: KubeObj | undefined;

  beforeAll(async () => {
    namespace = await createRestrictedNamespace();
    app = intoNamespace(synth(), namespace);
    firstApply = apply(app.objects, { namespace });
  });

  afterAll(() => deleteNamespace(namespace));

  /** The Job's driver pod once the scheduler has bound it (the first one; later tests reuse it). */
  async function driverPod(): Promise<KubeObj> {
    driver ??= await waitFor(
      () => list('pods', namespace, `batch.kubernetes.io/job-name=${app.job.metadata.name}`).find((p) => p.spec.nodeName),
      60_000,
      `a scheduled driver pod of Job ${namespace}/${app.job.metadata.name}`,
    );
    return driver;
  }

  it('is accepted by server-side apply with strict field validation, with no warning from the API server', () => {
    expect(firstApply.stderr.split('\n').filter((line) => /warning/i.test(line))).toEqual([]);
    for (const object of app.objects) {
      expect({ kind: object.kind, name: object.metadata.name, exists: getObject(object.kind, object.metadata.name, namespace) !== undefined })
        .toEqual({ kind: object.kind, name: object.metadata.name, exists: true });
    }
  });

  it('is a no-op when applied again: kubectl diff --server-side finds nothing, and no object is rewritten', async () => {
    // kubectl diff reads the live Job and then dry-runs the apply: when the Job controller updates the
    // status in between, the status differs. That settles within seconds; a real difference persists.
    const diff = await waitFor(
      () => {
        const result = serverSideDiff(app.objects, { namespace });
        if (result.status !== 0) throw new Error(`kubectl diff --server-side exited with ${result.status}:\n${result.stdout}`);
        return result;
      },
      30_000,
      'kubectl diff --server-side to find no difference',
      1_000,
    );
    expect(diff.stdout).toBe('');

    // The Job's status moves on its own (its pod runs and completes), so for it the spec's generation counts.
    const versions = () => app.objects.map((o) => {
      const live = getObject(o.kind, o.metadata.name, namespace)!;
      return `${o.kind}/${o.metadata.name} ${o.kind === 'Job' ? `generation=${live.metadata.generation}` : `resourceVersion=${live.metadata.resourceVersion}`}`;
    });
    const before = versions();
    apply(app.objects, { namespace });
    expect(versions()).toEqual(before);
  });

  it('starts the driver pod: Pod Security "restricted" admits it and the scheduler binds it to a KWOK node', async () => {
    const pod = await driverPod();
    const failedCreates = eventsFor(namespace, 'Job', app.job.metadata.name)
      .filter((e) => e.reason === 'FailedCreate')
      .map((e) => e.message);
    expect(failedCreates).toEqual([]);
    expect(pod.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Job', name: app.job.metadata.name, controller: true })]);
    expect(pod.spec.containers.map((c: { image: string }) => c.image)).toEqual(app.job.spec.template.spec.containers.map((c: { image: string }) => c.image));
    if (connection().mode === 'harness') {
      expect(pod.spec.nodeName).toMatch(new RegExp(`^${KWOK_NODE_PREFIX}\\d+$`));
    } else {
      expect(pod.spec.nodeName).toEqual(expect.any(String));
    }
  });

  it('mounts an API token in the driver pod, for the driver ServiceAccount', async () => {
    const pod = await driverPod();
    expect(pod.spec.serviceAccountName).toBe(app.driverServiceAccount);
    const { tokenVolumes, mountedIn } = serviceAccountTokenMounts(pod);
    expect(tokenVolumes).toHaveLength(1);
    expect(mountedIn).toContain(app.job.spec.template.spec.containers[0].name);
  });

  it("grants the driver's ServiceAccount exactly the verbs of its Role, in its own namespace, and nothing else", () => {
    const account = app.driverServiceAccount;
    type Check = { verb: string; resource: string; group: string; subresource?: string; namespace: string; expected: 'allowed' | 'denied' };
    const checks: Check[] = [];
    for (const rule of app.role.rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>) {
      for (const group of rule.apiGroups) {
        for (const resource of rule.resources) {
          for (const verb of ALL_VERBS) {
            checks.push({ verb, resource, group, namespace, expected: rule.verbs.includes(verb) ? 'allowed' : 'denied' });
          }
          // A Role's verb list is the whole grant: a verb outside ALL_VERBS would show up here.
          for (const verb of rule.verbs.filter((v) => !ALL_VERBS.includes(v))) checks.push({ verb, resource, group, namespace, expected: 'allowed' });
        }
      }
    }
    for (const denied of MUST_BE_DENIED) {
      checks.push({ ...denied, group: denied.group ?? '', namespace: denied.namespace === 'own' ? namespace : denied.namespace, expected: 'denied' });
    }

    const reviews = checks.map((check) => ({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: `system:serviceaccount:${namespace}:${account}`,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
        resourceAttributes: { verb: check.verb, group: check.group, resource: check.resource, subresource: check.subresource, namespace: check.namespace },
      },
    }));
    const answers = kubectlDocuments(['create', '-f', '-'], { input: manifestStream(reviews) });
    expect(answers).toHaveLength(checks.length);

    const phrase = (c: { verb: string; group: string; resource: string; subresource?: string; namespace: string }) =>
      `${c.verb} ${c.group ? `${c.group}/` : ''}${c.resource}${c.subresource ? `/${c.subresource}` : ''} in ${c.namespace || '(cluster scope)'}`;
    const actual = answers.map((answer) => {
      const attrs = answer.spec.resourceAttributes;
      const asked = { verb: attrs.verb, group: attrs.group ?? '', resource: attrs.resource, subresource: attrs.subresource, namespace: attrs.namespace ?? '' };
      return `${phrase(asked)}: ${answer.status.allowed ? 'allowed' : 'denied'}`;
    });
    expect(actual.sort()).toEqual(checks.map((c) => `${phrase(c)}: ${c.expected}`).sort());
  });

  it('admits an executor pod stamped from the executor pod template, with no API token in it', async () => {
    const pod = kubectlDocuments(['create', '-f', '-'], { input: executorPod(app, await driverPod(), 1) })[0];
    // The namespace's default ServiceAccount would mount a token; the pod's own setting keeps it out.
    expect(pod.spec.serviceAccountName).toBe('default');
    expect(pod.spec.automountServiceAccountToken).toBe(false);
    expect(serviceAccountTokenMounts(pod)).toEqual({ tokenVolumes: [], mountedIn: [] });
    const scheduled = await waitFor(() => getObject('pod', pod.metadata.name, namespace)?.spec.nodeName, 30_000, `executor pod ${pod.metadata.name} to be scheduled`);
    if (connection().mode === 'harness') expect(scheduled).toMatch(new RegExp(`^${KWOK_NODE_PREFIX}\\d+$`));
  });

  it('garbage-collects the executor pods when their driver pod is deleted', async () => {
    const owner = await driverPod();
    kubectl(['create', '-f', '-'], { input: executorPod(app, owner, 2) });
    const selector = `spark-app-selector=${TEST_APP_ID},spark-role=executor`;
    expect(list('pods', namespace, selector).length).toBeGreaterThanOrEqual(1);

    kubectl(['delete', 'pod', owner.metadata.name, '-n', namespace, '--wait=false']);
    await waitFor(() => getObject('pod', owner.metadata.name, namespace)?.metadata.uid !== owner.metadata.uid, 60_000, `driver pod ${owner.metadata.name} to be deleted`);
    const remaining = await waitFor(
      () => {
        const pods = list('pods', namespace, selector);
        if (pods.length) throw new Error(`still there: ${pods.map((p) => `${p.metadata.name} (${p.status?.phase}, owners ${JSON.stringify(p.metadata.ownerReferences ?? [])})`).join(', ')}`);
        return pods;
      },
      60_000,
      `the garbage collector to delete the executor pods owned by ${owner.metadata.name} (${selector})`,
    );
    expect(remaining).toEqual([]);
  });
});
