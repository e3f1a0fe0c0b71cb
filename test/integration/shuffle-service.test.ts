// The external shuffle service (issue 6) on the real control plane: its objects pass strict
// server-side apply and Pod Security at the level they claim, the DaemonSet puts one pod on each
// KWOK node, the janitor's RBAC is what the renderer promises, and host-network executors of one
// application fit on one node only because spark.blockManager.port=0 leaves them without a hostPort.
import { randomBytes } from 'crypto';
import {
  renderExternalShuffleService, renderSparkApplication, type ExternalShuffleServiceSpec, type KubeObject, type SparkApplicationSpec,
} from '../../lib/core';
import {
  apply, applyAcrossNamespaces, createNamespaceAtLevel, createRestrictedNamespace, deleteNamespace, diffAcrossNamespaces, eventsFor, getObject,
  kubectl, kubectlDocuments, kubectlJson, list, TEST_NAMESPACE_LABEL, waitFor, type KubectlResult, type KubeObj,
} from './support/kube';
import { accessOf, type AccessCheck } from './support/access-review';
import { executorPod, RenderedApplication } from './support/spark';

/** The nodes the suite's DaemonSet is held to: process nodes of concurrent e2e runs must never get one. */
const KWOK_NODE_LABEL = 'sparkplane.dev/kwok-node';
const APPS_DIR = '/var/lib/sparkplane/shuffle/apps';
const testLabels = { [TEST_NAMESPACE_LABEL]: 'true' };

/** The API server's warnings among kubectl's stderr lines. */
function warningsOf(results: readonly KubectlResult[]): string[] {
  return results.flatMap((r) => r.stderr.split('\n')).filter((line) => /warning/i.test(line));
}

/** A pod with the DaemonSet's pod template, as the DaemonSet controller would make it (less the node affinity it adds). */
function podOfTemplate(daemonSet: KubeObj, namespace: string): KubeObj {
  const { metadata, spec } = JSON.parse(JSON.stringify(daemonSet.spec.template));
  return { apiVersion: 'v1', kind: 'Pod', metadata: { ...metadata, name: `${daemonSet.metadata.name}-template`, namespace }, spec };
}

/** `kubectl create --dry-run=server`: admission runs in full, nothing is stored. */
function createDryRun(object: KubeObj, namespace: string): KubectlResult {
  return kubectl(['create', '--dry-run=server', '-n', namespace, '-f', '-', '-o', 'json'], { input: object, allowFailure: true });
}

/** The API server's message when it refuses a pod, without kubectl's "error when creating" prefix. */
function refusal(result: KubectlResult): string {
  expect(result.status).not.toBe(0);
  return result.stderr.trim().replace(/^Error from server \(Forbidden\): error when creating "STDIN": /, '');
}

const ALL_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];

describe('the external shuffle service on the real control plane', () => {
  const shuffleNamespace = `sp-shuffle-${randomBytes(4).toString('hex')}`;
  const wideNamespace = `sp-shuffle-wide-${randomBytes(4).toString('hex')}`;
  let appNamespace: string;
  let secondAppNamespace: string;
  let restrictedNamespace: string;
  let baselineNamespace: string;
  let serviceSpec: ExternalShuffleServiceSpec;
  let serviceObjects: KubeObj[];
  let wideObjects: KubeObj[] = [];
  let firstApply: KubectlResult[];
  let app: RenderedApplication;
  let appApply: KubectlResult;
  let driver: KubeObj | undefined;
  let kwokNodes: string[];

  beforeAll(async () => {
    [appNamespace, secondAppNamespace, restrictedNamespace, baselineNamespace] = await Promise.all([
      createNamespaceAtLevel('privileged', 'sp-shuffle-app'),
      createNamespaceAtLevel('privileged', 'sp-shuffle-app2'),
      createRestrictedNamespace('sp-shuffle-restricted'),
      createNamespaceAtLevel('baseline', 'sp-shuffle-baseline'),
    ]);
    kwokNodes = kubectlJson<{ items: KubeObj[] }>(['get', 'nodes', '-l', `${KWOK_NODE_LABEL}=true`]).items.map((n) => n.metadata.name).sort();
    serviceSpec = {
      namespace: shuffleNamespace,
      createNamespace: true,
      sparkVersion: '4.0.5',
      janitorImage: 'sparkplane:e2e',
      applicationNamespaces: [appNamespace, secondAppNamespace],
      nodeSelector: { [KWOK_NODE_LABEL]: 'true' },
      labels: testLabels,
    };
    serviceObjects = renderExternalShuffleService(serviceSpec) as KubeObj[];
    firstApply = applyAcrossNamespaces(serviceObjects, shuffleNamespace);

    const appSpec: SparkApplicationSpec = {
      name: 'elastic',
      namespace: appNamespace,
      sparkVersion: '4.0.5',
      mainClass: 'org.apache.spark.examples.SparkPi',
      mainApplicationFile: 'local:///opt/spark/examples/jars/spark-examples_2.13-4.0.5.jar',
      podSecurity: 'privileged',
      dynamicAllocation: { maxExecutors: 4 },
      shuffleService: serviceSpec,
    };
    app = new RenderedApplication(renderSparkApplication(appSpec) as KubeObj[]);
    appApply = apply(app.objects, { namespace: appNamespace });
  });

  afterAll(() => {
    for (const object of [...serviceObjects ?? [], ...wideObjects]) {
      if (!object.metadata.namespace && object.kind !== 'Namespace') kubectl(['delete', object.kind, object.metadata.name, '--ignore-not-found', '--wait=false'], { allowFailure: true });
    }
    for (const namespace of [shuffleNamespace, wideNamespace, appNamespace, secondAppNamespace, restrictedNamespace, baselineNamespace]) deleteNamespace(namespace);
  });

  /** The application's driver pod once the scheduler has bound it. */
  async function driverPod(): Promise<KubeObj> {
    driver ??= await waitFor(
      () => list('pods', appNamespace, `batch.kubernetes.io/job-name=${app.job.metadata.name}`).find((p) => p.spec.nodeName),
      60_000,
      `a scheduled driver pod of Job ${appNamespace}/${app.job.metadata.name}`,
    );
    return driver;
  }

  const daemonSetOf = (objects: readonly KubeObj[]) => objects.find((o) => o.kind === 'DaemonSet')!;

  describe('its objects', () => {
    it('are accepted by strict server-side apply, each in its own namespace or at cluster scope', () => {
      expect(serviceObjects.map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual([
        `Namespace /${shuffleNamespace}`,
        `ServiceAccount ${shuffleNamespace}/shuffle-service-janitor`,
        `ClusterRole /sparkplane:${shuffleNamespace}:shuffle-service-janitor`,
        `RoleBinding ${appNamespace}/sparkplane:${shuffleNamespace}:shuffle-service-janitor`,
        `RoleBinding ${secondAppNamespace}/sparkplane:${shuffleNamespace}:shuffle-service-janitor`,
        `ConfigMap ${shuffleNamespace}/shuffle-service-conf`,
        `DaemonSet ${shuffleNamespace}/shuffle-service`,
      ]);
      for (const object of serviceObjects) {
        const live = getObject(object.kind, object.metadata.name, object.metadata.namespace);
        expect({ kind: object.kind, name: object.metadata.name, namespace: live?.metadata.namespace })
          .toEqual({ kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace });
      }
    });

    it('draw only the "baseline" warn label\'s warning about the host network and the host directory, once, for the DaemonSet', () => {
      // The pod template gets no hostPort defaulted (only pods do), so the host ports are not named here; see the bare pod below.
      expect(warningsOf(firstApply)).toEqual([
        'Warning: would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true), hostPath volumes (volume "shuffle-host")',
      ]);
    });

    it('put the namespace at "privileged" for enforcement, warning and auditing at "baseline"', () => {
      expect(getObject('namespace', shuffleNamespace)!.metadata.labels).toMatchObject({
        'pod-security.kubernetes.io/enforce': 'privileged',
        'pod-security.kubernetes.io/warn': 'baseline',
        'pod-security.kubernetes.io/audit': 'baseline',
        [TEST_NAMESPACE_LABEL]: 'true',
      });
    });

    it('are a no-op when applied again: kubectl diff --server-side finds nothing, and no spec is rewritten', async () => {
      // The DaemonSet's and the budget's status move while their pods start; a real difference persists.
      await waitFor(
        () => {
          const changed = diffAcrossNamespaces(serviceObjects, shuffleNamespace).filter((r) => r.status !== 0);
          if (changed.length) throw new Error(`kubectl diff --server-side found differences:\n${changed.map((r) => r.stdout).join('\n')}`);
          return true;
        },
        30_000,
        'kubectl diff --server-side to find no difference',
        1_000,
      );
      const withStatus = ['DaemonSet'];
      const versions = () => serviceObjects.map((o) => {
        const live = getObject(o.kind, o.metadata.name, o.metadata.namespace)!;
        return `${o.kind}/${o.metadata.name} ${withStatus.includes(o.kind) ? `generation=${live.metadata.generation}` : `resourceVersion=${live.metadata.resourceVersion}`}`;
      });
      const before = versions();
      applyAcrossNamespaces(serviceObjects, shuffleNamespace);
      expect(versions()).toEqual(before);
    });
  });

  describe('its DaemonSet', () => {
    it('runs exactly one ready pod on each KWOK node and none anywhere else', async () => {
      expect(kwokNodes).toEqual(['sparkplane-kwok-node-0', 'sparkplane-kwok-node-1', 'sparkplane-kwok-node-2']);
      const status = await waitFor(
        () => {
          const live = getObject('daemonset', 'shuffle-service', shuffleNamespace)!;
          return live.status?.numberReady === kwokNodes.length && live.status?.desiredNumberScheduled === kwokNodes.length ? live.status : undefined;
        },
        60_000,
        `DaemonSet ${shuffleNamespace}/shuffle-service to have a ready pod on each of ${kwokNodes.length} KWOK nodes`,
      );
      expect(status).toMatchObject({ desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 3, numberMisscheduled: 0 });
      const pods = list('pods', shuffleNamespace, 'app.kubernetes.io/name=spark-shuffle-service,app.kubernetes.io/instance=shuffle-service');
      expect(pods.map((p) => p.spec.nodeName).sort()).toEqual(kwokNodes);
      expect(pods.map((p) => p.status.phase)).toEqual(['Running', 'Running', 'Running']);
    });

    it('can lose one pod to an eviction: no budget blocks a node drain (a maxUnavailable budget on DaemonSet pods refuses every eviction)', () => {
      // The eviction API lets one pod go (dry run: the pod stays).
      const [pod] = list('pods', shuffleNamespace, 'app.kubernetes.io/instance=shuffle-service');
      const eviction = kubectl(
        ['create', '--raw', `/api/v1/namespaces/${shuffleNamespace}/pods/${pod.metadata.name}/eviction?dryRun=All`, '-f', '-'],
        { input: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod.metadata.name, namespace: shuffleNamespace } }, allowFailure: true },
      );
      expect({ status: eviction.status, stderr: eviction.stderr.trim() }).toEqual({ status: 0, stderr: '' });
    });
  });

  describe('Pod Security admission', () => {
    it('refuses the DaemonSet\'s pod in a namespace enforcing "baseline", naming the host network, the host directory and the host ports', () => {
      // The janitor's ServiceAccount must exist there too, or ServiceAccount admission refuses the pod first.
      kubectl(['create', 'serviceaccount', 'shuffle-service-janitor', '-n', baselineNamespace]);
      const result = createDryRun(podOfTemplate(daemonSetOf(serviceObjects), baselineNamespace), baselineNamespace);
      expect(refusal(result)).toBe(
        'pods "shuffle-service-template" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true), '
          + 'hostPath volumes (volume "shuffle-host"), hostPort (containers "shuffle-service", "janitor" use hostPorts 7337, 7338)',
      );
    });

    it('admits the same pod in the service\'s "privileged" namespace, with the "baseline" warning, and makes its ports host ports', () => {
      const result = createDryRun(podOfTemplate(daemonSetOf(serviceObjects), shuffleNamespace), shuffleNamespace);
      expect(result.status).toBe(0);
      expect(warningsOf([result])).toEqual([
        'Warning: would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true), hostPath volumes (volume "shuffle-host"), '
          + 'hostPort (containers "shuffle-service", "janitor" use hostPorts 7337, 7338)',
      ]);
      const pod = JSON.parse(result.stdout) as KubeObj;
      expect(pod.spec.containers.flatMap((c: any) => c.ports ?? [])).toEqual([
        { name: 'shuffle', containerPort: 7337, hostPort: 7337, protocol: 'TCP' },
        { name: 'metrics', containerPort: 7338, hostPort: 7338, protocol: 'TCP' },
      ]);
    });

    it('admits an executor pod of an application using the service in its "privileged" namespace: host network, its own hostname, the node\'s apps directory', async () => {
      const result = createDryRun(executorPod(app, await driverPod(), 1), appNamespace);
      expect(result.stderr.trim()).toBe('');
      expect(result.status).toBe(0);
      const pod = JSON.parse(result.stdout) as KubeObj;
      expect(pod.spec.hostNetwork).toBe(true);
      expect(pod.spec.hostname).toBe(pod.metadata.name);
      expect(pod.spec.volumes).toContainEqual({ name: 'sparkplane-shuffle', hostPath: { path: APPS_DIR, type: 'Directory' } });
      expect(pod.spec.containers[0].volumeMounts).toContainEqual({ name: 'sparkplane-shuffle', mountPath: APPS_DIR });
      // spark.blockManager.port=0: Spark declares no port, so there is no hostPort either.
      expect(pod.spec.containers.flatMap((c: any) => c.ports ?? [])).toEqual([]);
    });

    it('refuses the same executor pod in a namespace enforcing "restricted", for the host network and the host directory', async () => {
      const pod = executorPod(app, await driverPod(), 1);
      pod.metadata.namespace = restrictedNamespace;
      expect(refusal(createDryRun(pod, restrictedNamespace))).toBe(
        // "restricted" reports the hostPath volume under its volume-type check, which replaces baseline's.
        `pods "${pod.metadata.name}" is forbidden: violates PodSecurity "restricted:latest": host namespaces (hostNetwork=true), `
          + 'restricted volume types (volume "sparkplane-shuffle" uses restricted volume type "hostPath")',
      );
    });
  });

  describe("the janitor's RBAC, as its ServiceAccount", () => {
    it('may get pods in the application namespaces only, and do nothing else with pods, secrets or nodes', () => {
      const checks: AccessCheck[] = [];
      const elsewhere = [restrictedNamespace, shuffleNamespace, 'default', ''];
      for (const namespace of [appNamespace, secondAppNamespace]) {
        for (const verb of ALL_VERBS) checks.push({ verb, resource: 'pods', namespace, expected: verb === 'get' ? 'allowed' : 'denied' });
      }
      for (const namespace of elsewhere) for (const verb of ALL_VERBS) checks.push({ verb, resource: 'pods', namespace, expected: 'denied' });
      for (const namespace of [appNamespace, secondAppNamespace, shuffleNamespace, '']) {
        for (const verb of ['get', 'list', 'watch']) checks.push({ verb, resource: 'secrets', namespace, expected: 'denied' });
      }
      for (const verb of ALL_VERBS) checks.push({ verb, resource: 'nodes', namespace: '', expected: 'denied' });
      const { actual, expected } = accessOf(shuffleNamespace, 'shuffle-service-janitor', checks);
      expect(actual).toEqual(expected);
    });

    it('may get pods in every namespace, and still not list them, with applicationNamespaces "*"', () => {
      const wide = renderExternalShuffleService({ ...serviceSpec, name: 'wide-shuffle', namespace: wideNamespace, applicationNamespaces: '*' }) as KubeObj[];
      // Its identity and RBAC only: its DaemonSet would want the same host ports on the same nodes as the first one's.
      wideObjects = wide.filter((o) => ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind));
      expect(wideObjects.map((o) => o.kind)).toEqual(['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding']);
      expect(wide.filter((o) => o.kind === 'RoleBinding')).toEqual([]);
      applyAcrossNamespaces(wideObjects, wideNamespace);

      const checks: AccessCheck[] = [];
      for (const namespace of [appNamespace, restrictedNamespace, 'default', 'kube-system', '']) {
        checks.push({ verb: 'get', resource: 'pods', namespace, expected: 'allowed' });
        for (const verb of ['list', 'watch', 'delete']) checks.push({ verb, resource: 'pods', namespace, expected: 'denied' });
        checks.push({ verb: 'get', resource: 'secrets', namespace, expected: 'denied' });
      }
      const { actual, expected } = accessOf(wideNamespace, 'wide-shuffle-janitor', checks);
      expect(actual).toEqual(expected);
    });
  });

  describe('executors on the host network', () => {
    /** Creates the pods on `node` one by one and returns them as stored (with the API server's defaults). */
    function createOn(node: string, pods: KubeObj[]): KubeObj[] {
      return pods.map((pod) => {
        pod.spec.nodeSelector = { ...pod.spec.nodeSelector, 'kubernetes.io/hostname': node };
        return kubectlDocuments(['create', '-f', '-'], { input: pod })[0];
      });
    }
    const scheduledNode = (pod: KubeObj) => getObject('pod', pod.metadata.name, pod.metadata.namespace)?.spec.nodeName;

    it('fit two of one application on one node: with spark.blockManager.port=0 they have no container port, so no host port', async () => {
      expect(app.sparkProperties['spark.blockManager.port']).toBe('0');
      const owner = await driverPod();
      const node = kwokNodes[0];
      const pods = createOn(node, [executorPod(app, owner, 11), executorPod(app, owner, 12)]);
      for (const pod of pods) expect(pod.spec.containers.flatMap((c: any) => c.ports ?? [])).toEqual([]);
      for (const pod of pods) {
        expect(await waitFor(() => scheduledNode(pod), 30_000, `executor pod ${pod.metadata.name} to be scheduled`)).toBe(node);
      }
    });

    it('(negative control) leave the second one Pending for want of a free port when Spark adds its default containerPort 7079', async () => {
      // The same application with the key unset: BasicExecutorFeatureStep then declares blockmanager 7079.
      const unset = JSON.parse(JSON.stringify(app.objects)) as KubeObj[];
      const configMap = unset.find((o) => o.kind === 'ConfigMap')!;
      configMap.data['spark.properties'] = configMap.data['spark.properties'].replace(/^spark\.blockManager\.port=0\n/m, '');
      const withDefaultPort = new RenderedApplication(unset);
      expect(withDefaultPort.sparkProperties['spark.blockManager.port']).toBeUndefined();

      const owner = await driverPod();
      const node = kwokNodes[1];
      const [first] = createOn(node, [executorPod(withDefaultPort, owner, 21)]);
      // On the host network the API server makes the containerPort a hostPort of the node.
      expect(first.spec.containers[0].ports).toEqual([{ name: 'blockmanager', containerPort: 7079, hostPort: 7079, protocol: 'TCP' }]);
      expect(await waitFor(() => scheduledNode(first), 30_000, `executor pod ${first.metadata.name} to be scheduled`)).toBe(node);

      const [second] = createOn(node, [executorPod(withDefaultPort, owner, 22)]);
      const messages = await waitFor(
        () => {
          const failed = eventsFor(appNamespace, 'Pod', second.metadata.name).filter((e) => e.reason === 'FailedScheduling');
          return failed.length ? failed.map((e) => e.message as string) : undefined;
        },
        30_000,
        `a FailedScheduling event for executor pod ${second.metadata.name}`,
      );
      expect(messages.some((m) => /\b1 node\(s\) didn't have free ports for the requested pod ports\b/.test(m))).toBe(true);
      const live = getObject('pod', second.metadata.name, appNamespace)!;
      const scheduled = (live.status.conditions ?? []).find((c: any) => c.type === 'PodScheduled');
      expect({ nodeName: live.spec.nodeName, phase: live.status.phase, scheduled: scheduled && { status: scheduled.status, reason: scheduled.reason } })
        .toEqual({ nodeName: undefined, phase: 'Pending', scheduled: { status: 'False', reason: 'Unschedulable' } });
    });
  });

  describe('an application using the service', () => {
    it('applies cleanly in its "privileged" namespace', () => {
      expect(warningsOf([appApply])).toEqual([]);
      for (const object of app.objects as KubeObject[]) {
        expect({ kind: object.kind, name: object.metadata.name, exists: getObject(object.kind, object.metadata.name, appNamespace) !== undefined })
          .toEqual({ kind: object.kind, name: object.metadata.name, exists: true });
      }
    });

    it("names the executors' directory after the driver pod: its args carry $(SPARK_DRIVER_POD_NAME)_$(SPARK_DRIVER_POD_UID), its env the pod's UID", async () => {
      const pod = await driverPod();
      // Kubernetes expands $(…) in args from the container's env when it starts it (not under KWOK): the live spec holds the template.
      const container = pod.spec.containers.find((c: any) => c.name === 'spark-driver');
      expect(container.args).toContain(`spark.executorEnv.SPARK_EXECUTOR_DIRS=${APPS_DIR}/${appNamespace}/$(SPARK_DRIVER_POD_NAME)_$(SPARK_DRIVER_POD_UID)/SPARK_APPLICATION_ID`);
      expect(container.env).toEqual(expect.arrayContaining([
        { name: 'SPARK_DRIVER_POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
        { name: 'SPARK_DRIVER_POD_UID', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.uid' } } },
      ]));
      expect(kwokNodes).toContain(pod.spec.nodeName);
    });
  });
});
