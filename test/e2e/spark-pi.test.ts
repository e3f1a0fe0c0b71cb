// SparkPi on real Spark, as the library renders it: the Job's driver pod runs the image's entrypoint
// (real spark-submit, client mode) on the process node; the driver's own Kubernetes backend creates
// the executor pods from the rendered template through the real API server, authenticated by the
// driver's service-account token (so the rendered Role is what allows it); the executors run for
// real, register with the driver through its headless Service's name, compute, and Spark deletes
// them at the end. Once on each supported line whose distribution the suite installs.
import { JOBS } from './support/spark-home';
import {
  finalDriver, jobOutcome, leftoverSparkJvms, mib, podLogs, processNodeSpec, recordFigures, runApplication, startProcessNode, stopProcessNode,
  type ProcessNode, type Timeline,
} from './support/spark-app';
import { deleteNamespace } from '../integration/support/kube';
import { serviceAccountTokenMounts } from '../integration/support/spark';
import { PROCESS_NODE_NAME } from './support/process-kubelet';

const VERSIONS = ['4.0.5', '3.5.9'];
const EXECUTORS = 2;
/**
 * Arguments with `$` in them, which must reach main() as written: the kubelet expands `$(VAR)` in a
 * container's args and turns `$$` into `$` (k8s.io/kubernetes third_party/forked/golang/expansion),
 * so the rendered args must escape every `$`.
 */
const DOLLAR_ARGUMENTS = ['a$$b', '$(SPARK_DRIVER_POD_NAME)', '$$(SPARK_DRIVER_POD_NAME)', 'cost: 5$', '$(UNDEFINED_VAR)'];

let node: ProcessNode | undefined;

beforeAll(async () => {
  node = await startProcessNode(VERSIONS);
}, 30 * 60_000);

afterAll(async () => {
  await stopProcessNode(node);
});

describe.each(VERSIONS)('SparkPi on Spark %s', (version) => {
  let timeline: Timeline;
  let driverLog: string;

  beforeAll(async () => {
    const spec = processNodeSpec({
      name: 'spark-pi',
      sparkVersion: version,
      mainClass: JOBS.sparkPi,
      mainApplicationFile: `local://${node!.jobsJars[version]}`,
      arguments: ['10', ...DOLLAR_ARGUMENTS],
      driver: { retries: 0 },
      executor: { instances: EXECUTORS },
    });
    timeline = await runApplication(node!, spec);
    driverLog = node!.kubelet.logOf(timeline.namespace, finalDriver(timeline).metadata.name);
    const records = node!.kubelet.records().filter((r) => r.namespace === timeline.namespace);
    recordFigures(`SparkPi ${version}`, {
      seconds: timeline.seconds,
      peakExecutorPods: timeline.peakExecutors,
      peakProcesses: timeline.figures.peakProcesses,
      peakRssMiB: mib(timeline.figures.peakRssBytes),
      peakRssMiBByPod: Object.fromEntries(records.map((r) => [r.name, mib(r.peakRssBytes)])),
      memoryLimitMiB: Object.fromEntries(records.map((r) => [r.name, r.memoryLimitBytes ? mib(r.memoryLimitBytes) : undefined])),
    });
  }, 15 * 60_000);

  afterAll(() => deleteNamespace(timeline?.namespace));

  it('the Job completes: its driver pod, real spark-submit on the process node, ends Succeeded', () => {
    const driver = finalDriver(timeline);
    expect(timeline.drivers.size).toBe(1);
    expect(driver.spec.nodeName).toBe(PROCESS_NODE_NAME);
    // Its only credential: the ServiceAccount token admission projected into it (the kubelet got it by TokenRequest).
    expect(driver.spec.serviceAccountName).toBe('spark-pi-driver');
    expect(serviceAccountTokenMounts(driver)).toEqual({ tokenVolumes: [expect.stringMatching(/^kube-api-access-/)], mountedIn: ['spark-driver'] });
    expect(driver.status.phase).toBe('Succeeded');
    expect(driver.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(jobOutcome(timeline)).toBe('Complete');
    expect(driverLog).toContain(`Running Spark version ${version}`);
  });

  it('prints "Pi is roughly 3.14…", within 0.05 of π, computed by both executors', () => {
    const match = /^Pi is roughly ([0-9.]+)$/m.exec(driverLog);
    expect(match).not.toBeNull();
    expect(Math.abs(Number(match![1]) - Math.PI)).toBeLessThan(0.05);
    expect(driverLog).toMatch(/^tasks ran on executors \[1, 2\]$/m);
  });

  it(`the driver creates ${EXECUTORS} executor pods from the rendered template, owned by its pod, which pass restricted admission and run`, async () => {
    // The namespace enforces Pod Security "restricted": the pods exist, so admission let them in.
    const namespace = await node!.api.get(`/api/v1/namespaces/${timeline.namespace}`);
    expect(namespace.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const driver = finalDriver(timeline);
    const executors = [...timeline.executorsFirstSeen.values()];
    expect(executors).toHaveLength(EXECUTORS);
    expect(timeline.peakExecutors).toBe(EXECUTORS);
    for (const pod of executors) {
      // Created by Spark (its labels and env), from the library's template (its labels, security context, volumes, node selector).
      expect(pod.metadata.labels).toMatchObject({
        'spark-role': 'executor',
        'spark-app-name': 'spark-pi',
        'app.kubernetes.io/component': 'executor',
        'sparkplane.io/application': 'spark-pi',
      });
      expect(pod.metadata.ownerReferences).toEqual([
        expect.objectContaining({ apiVersion: 'v1', kind: 'Pod', name: driver.metadata.name, uid: driver.metadata.uid, controller: true }),
      ]);
      expect(timeline.executorsLastSeen.get(pod.metadata.name)!.spec.nodeName).toBe(PROCESS_NODE_NAME); // first seen maybe before scheduling
      expect(pod.spec.automountServiceAccountToken).toBe(false);
      const container = pod.spec.containers.find((c: any) => c.name === 'spark-executor');
      expect(container.image).toBe(`apache/spark:${version}`);
      expect(container.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 185, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
      expect(container.volumeMounts.map((m: any) => m.mountPath)).toEqual(expect.arrayContaining(['/tmp', '/opt/spark/work-dir']));
    }
    expect([...timeline.executorsSeenRunning].sort()).toEqual(executors.map((p) => p.metadata.name).sort());
  });

  it('passes the application arguments to main() as written, `$` included', () => {
    const printed = [...driverLog.matchAll(/^argument (\d+): (.*)$/gm)].map((m) => m[2]);
    expect(printed).toEqual(['10', ...DOLLAR_ARGUMENTS]);
  });

  it('both executors register with the driver through its Service name', () => {
    const registered = [...driverLog.matchAll(/Registered executor .* with ID (\d+)/g)].map((m) => m[1]).sort();
    expect(registered).toEqual(['1', '2']);
    expect(driverLog).toMatch(new RegExp(`Server created on spark-pi-driver\\.${timeline.namespace}\\.svc`));
  });

  it('Spark deletes its executor pods at the end, and no JVM is left', async () => {
    // Gone while their owner, the driver pod, is still there: Spark deleted them, not the garbage collector
    // (and the process kubelet removes only pods that are being deleted).
    expect(timeline.executorsAtEnd).toBe(0);
    const driver = finalDriver(timeline);
    expect(await node!.api.getIfExists(`/api/v1/namespaces/${timeline.namespace}/pods/${driver.metadata.name}`)).toMatchObject({ metadata: { uid: driver.metadata.uid } });
    expect(node!.kubelet.livePids()).toEqual([]);
    expect(await leftoverSparkJvms()).toEqual([]);
  });

  it('every pod stays within its memory limit (no OOM kill under a real kubelet)', () => {
    for (const record of node!.kubelet.records().filter((r) => r.namespace === timeline.namespace)) {
      expect({ pod: record.name, peakRssMiB: mib(record.peakRssBytes) }).toEqual({ pod: record.name, peakRssMiB: expect.any(Number) });
      expect(record.peakRssBytes).toBeGreaterThan(0);
      expect(record.peakRssBytes).toBeLessThan(record.memoryLimitBytes!);
    }
  });

  it('`kubectl logs` of the driver pod shows its output, through the API server', async () => {
    const logs = await podLogs(node!.api, timeline.namespace, finalDriver(timeline).metadata.name);
    expect(logs).toMatch(/^Pi is roughly /m);
  });
});
