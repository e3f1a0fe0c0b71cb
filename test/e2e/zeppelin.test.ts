// Zeppelin's Spark interpreter with real Spark (issue 8). Zeppelin's own jars are not served here,
// so the paragraph's equivalent runs instead of the interpreter process: the interpreter pod is
// rendered from the library's template by Zeppelin's engine (Jinjava 2.5.4, the launcher's bindings,
// the interpreter settings sparkplane seeds), created as the Zeppelin server's ServiceAccount with its
// headless Service, and its container runs spark-submit exactly as interpreter.sh would, with the
// launcher's ZEPPELIN_SPARK_CONF split on "|", on SparkPi instead of Zeppelin's interpreter jar.
// The driver (client mode, in the interpreter pod) creates executors with the interpreter's
// ServiceAccount from the library's executor template; they register through the pod's Service
// name on the launcher's fixed driver ports, and Pi is computed.
import { renderZeppelin, type ZeppelinSpec } from '../../lib/core';
import { apply, kubectl, manifestStream, type KubeObj } from '../integration/support/kube';
import { launcherBindings, renderLikeTheLauncher, type InterpreterLaunch } from '../integration/support/zeppelin-launcher';
import { PROCESS_NODE_SELECTOR } from './support/process-kubelet';
import { waitUntil } from './support/run';
import { createNamespace, leftoverSparkJvms, recordFigures, startProcessNode, stopProcessNode, type ProcessNode } from './support/spark-app';
import { JOBS } from './support/spark-home';

const VERSION = '4.0.5';
const POD = 'spark-shared-process-abcdef';

let node: ProcessNode | undefined;
let namespace: string;
let objects: KubeObj[];
let launch: InterpreterLaunch;
let seconds: number;
const executorsSeen = new Map<string, KubeObj>();

beforeAll(async () => {
  node = await startProcessNode([VERSION]);
  namespace = await createNamespace(node);
  const spec: ZeppelinSpec = {
    name: 'notebooks',
    namespace,
    sparkplaneImage: 'sparkplane:e2e',
    auth: { users: { secretName: 'zeppelin-users', key: 'users' } },
    spark: {
      sparkVersion: VERSION,
      interpreters: ['spark', 'sql'],
      driver: { memory: '512m', nodeSelector: PROCESS_NODE_SELECTOR },
      executor: { memory: '512m', instances: 2, nodeSelector: PROCESS_NODE_SELECTOR },
    },
  };
  objects = renderZeppelin(spec) as KubeObj[];
  // The interpreter's side only: the server itself would need Zeppelin's image. Its ServiceAccount and
  // Role are applied, since the interpreter's objects are created as that ServiceAccount.
  apply(objects.filter((o) => o.kind !== 'Deployment' && o.kind !== 'PersistentVolumeClaim'), { namespace });
  const configMap = (name: string) => objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name)!;
  // Owner references need a live server pod (the launcher binds POD_UID): a stand-in that never runs.
  const server = kubectl(['-n', namespace, 'create', '-o', 'json', '-f', '-'], { input: {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'notebooks-server-0' },
    spec: {
      nodeSelector: { 'sparkplane.dev/kwok-node': 'true' }, securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'zeppelin', image: 'apache/zeppelin:0.12.1', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
    },
  } });
  const serverPod = JSON.parse(server.stdout);
  launch = {
    namespace, podName: POD, serverPod: { name: serverPod.metadata.name, uid: serverPod.metadata.uid }, serverService: 'notebooks-server', user: 'alice',
    properties: JSON.parse(configMap('notebooks-interpreter-settings').data['spark-setting.json']).properties, sparkImage: `apache/spark:${VERSION}`,
  };
  const [pod, service] = renderLikeTheLauncher(configMap('notebooks-interpreter-template').data['100-interpreter-spec.yaml'], launch);
  // The paragraph's equivalent: interpreter.sh's spark-submit line (bin/interpreter.sh:263-270) with
  // the launcher's configuration, on SparkPi; no copy of Zeppelin (its image is not here).
  const interpreter = pod.spec.containers[0];
  const conf = interpreter.env.find((e: { name: string }) => e.name === 'ZEPPELIN_SPARK_CONF').value.split('|');
  interpreter.command = ['/opt/spark/bin/spark-submit', '--class', JOBS.sparkPi, ...conf, `local://${node.jobsJars[VERSION]}`, '10'];
  pod.spec.initContainers = pod.spec.initContainers.filter((c: { name: string }) => c.name !== 'copy-zeppelin');
  // The process kubelet resolves Services in a pod's /etc/hosts when the pod starts: the Service first.
  const started = Date.now();
  kubectl(['-n', namespace, 'create', '-f', '-', `--as=system:serviceaccount:${namespace}:notebooks-server`], { input: manifestStream([service, pod]) });
  await waitUntil(async () => {
    for (const p of await node!.api.pods({ namespace, labelSelector: 'spark-role=executor' })) if (!executorsSeen.has(p.metadata.name)) executorsSeen.set(p.metadata.name, p);
    const phase = (await node!.api.get(`/api/v1/namespaces/${namespace}/pods/${POD}`)).status?.phase;
    return phase === 'Succeeded' || phase === 'Failed';
  }, 10 * 60_000, 'the interpreter pod to finish', 250);
  seconds = (Date.now() - started) / 1000;
  recordFigures('Zeppelin interpreter SparkPi', { seconds, executors: executorsSeen.size });
}, 30 * 60_000);

afterAll(async () => {
  await stopProcessNode(node);
});

it('runs the paragraph: the interpreter pod computes Pi with executors of its own, and ends Succeeded', async () => {
  const pod = await node!.api.get(`/api/v1/namespaces/${namespace}/pods/${POD}`);
  const log = node!.kubelet.logOf(namespace, POD);
  expect({ phase: pod.status.phase, pi: /Pi is roughly 3\.1/.test(log) }).toEqual({ phase: 'Succeeded', pi: true });
  expect(pod.spec.serviceAccountName).toBe('notebooks-interpreter');
});

it('created the executors from the library\'s template with the interpreter\'s ServiceAccount, owned by the interpreter pod', () => {
  expect(executorsSeen.size).toBe(2);
  for (const executor of executorsSeen.values()) {
    expect(executor.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Pod', name: POD, controller: true })]);
    expect(executor.metadata.labels).toMatchObject({ 'sparkplane.io/application': 'notebooks', 'spark-role': 'executor' });
    expect(executor.spec.automountServiceAccountToken).toBe(false);
    // The seed's executor memory reached Spark: 512m heap + 384m overhead.
    expect(executor.spec.containers[0].resources.limits.memory).toBe('896Mi');
  }
});

it('passed the driver the launcher\'s address and ports, and the seed\'s settings', () => {
  const { sparkSubmitConf } = launcherBindings(launch);
  expect(sparkSubmitConf).toEqual(expect.arrayContaining([`spark.driver.host=${POD}.${namespace}.svc`, 'spark.driver.port=22321', 'spark.blockManager.port=22322', 'spark.executor.instances=2']));
  const log = node!.kubelet.logOf(namespace, POD);
  expect(log).toMatch(new RegExp(`Successfully started service 'sparkDriver' on port 22321`));
});

it('leaves no JVM behind', async () => {
  expect(await leftoverSparkJvms()).toEqual([]);
});
