// Failures on real Spark, as the library renders the application: each must surface where a user
// looks (pod status, Job condition, `kubectl logs`) and leave no process and no executor pod behind.
import { renderSparkApplication } from '../../lib/core';
import { apply, deleteNamespace, kubectl } from '../integration/support/kube';
import {
  createNamespace, finalDriver, jobOutcome, leftoverSparkJvms, podLogs, processNodeSpec, runApplication, startProcessNode, stopProcessNode, type ProcessNode,
} from './support/spark-app';
import { waitUntil } from './support/run';
import { JOBS } from './support/spark-home';

const VERSION = '4.0.5';
let node: ProcessNode | undefined;
const namespaces: string[] = [];

beforeAll(async () => {
  node = await startProcessNode([VERSION]);
}, 30 * 60_000);

afterAll(async () => {
  await stopProcessNode(node);
  for (const namespace of namespaces) deleteNamespace(namespace);
});

async function expectNothingLeft(): Promise<void> {
  expect(node!.kubelet.livePids()).toEqual([]);
  expect(await leftoverSparkJvms()).toEqual([]);
}

describe('a main class that does not exist', () => {
  it('fails the driver pod and the Job, shows the error in the pod log, and starts no executor', async () => {
    const timeline = await runApplication(node!, processNodeSpec({
      name: 'no-main',
      sparkVersion: VERSION,
      mainClass: 'sparkplane.e2e.NoSuchMain',
      mainApplicationFile: `local://${node!.jobsJars[VERSION]}`,
      driver: { retries: 0 },
      executor: { instances: 2 },
    }));
    namespaces.push(timeline.namespace);
    const driver = finalDriver(timeline);
    expect(driver.status.phase).toBe('Failed');
    // SparkSubmit's exit status for a class it cannot load.
    expect(driver.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 101, reason: 'Error' });
    expect(jobOutcome(timeline)).toBe('Failed');
    expect(timeline.job!.status.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Failed', reason: 'BackoffLimitExceeded' })]));
    const logs = await podLogs(node!.api, timeline.namespace, driver.metadata.name);
    expect(logs).toMatch(/ClassNotFoundException: sparkplane\.e2e\.NoSuchMain|Failed to load class sparkplane\.e2e\.NoSuchMain/);
    expect(timeline.executorsFirstSeen.size).toBe(0);
    await expectNothingLeft();
  });
});

describe('a driver whose ServiceAccount is not bound to its Role', () => {
  it('is refused by RBAC as that ServiceAccount (the driver really uses its own token), and fails', async () => {
    const timeline = await runApplication(node!, processNodeSpec({
      name: 'unbound',
      sparkVersion: VERSION,
      mainClass: JOBS.sparkPi,
      mainApplicationFile: `local://${node!.jobsJars[VERSION]}`,
      driver: { retries: 0 },
      executor: { instances: 2 },
    }), { omitKinds: ['RoleBinding'] });
    namespaces.push(timeline.namespace);
    const driver = finalDriver(timeline);
    expect(driver.status.phase).toBe('Failed');
    expect(jobOutcome(timeline)).toBe('Failed');
    const logs = node!.kubelet.logOf(timeline.namespace, driver.metadata.name);
    expect(logs).toMatch(new RegExp(`is forbidden: User "system:serviceaccount:${timeline.namespace}:unbound-driver" cannot`));
    expect(timeline.executorsFirstSeen.size).toBe(0);
    await expectNothingLeft();
  });
});

describe('deleting a running application', () => {
  it('stops the driver and its executors: every pod goes, no process is left', async () => {
    const namespace = await createNamespace(node!);
    namespaces.push(namespace);
    const objects = renderSparkApplication(processNodeSpec({
      name: 'long',
      namespace,
      sparkVersion: VERSION,
      mainClass: JOBS.backlog,
      mainApplicationFile: `local://${node!.jobsJars[VERSION]}`,
      arguments: ['400', '1500', '60', '0'], // 10 minutes of tasks on 2 executors
      driver: { retries: 0 },
      executor: { instances: 2 },
    }));
    apply(objects, { namespace });
    const pods = () => node!.api.pods({ namespace });
    await waitUntil(async () => {
      const running = (await pods()).filter((p) => p.metadata.labels?.['spark-role'] === 'executor' && p.status?.phase === 'Running');
      return running.length === 2;
    }, 180_000, 'two executor pods Running');
    // Tasks are running on both executors when the Job goes.
    const driverName = (await pods()).find((p) => p.metadata.labels?.['spark-role'] === 'driver')!.metadata.name;
    const started = (executor: number) => new RegExp(`Starting task .*executor ${executor},`).test(node!.kubelet.logOf(namespace, driverName));
    await waitUntil(() => started(1) && started(2), 120_000, 'tasks on both executors');

    kubectl(['delete', 'job', 'long-driver', '-n', namespace, '--wait=false']);
    await waitUntil(async () => (await pods()).length === 0, 120_000, `every pod of ${namespace} gone`);
    await expectNothingLeft();
    // The driver got SIGTERM (the kubelet's stop), so Spark's shutdown hook ran.
    expect(node!.kubelet.logOf(namespace, driverName)).toMatch(/Invoking stop\(\) from shutdown hook|Shutdown hook called/);
  });
});

describe('a driver that crashes mid-run', () => {
  it('is retried by its Job: a second driver pod completes the application, with executors of its own; the first attempt\'s executors stop and stay owned by its pod', async () => {
    const namespace = await createNamespace(node!);
    namespaces.push(namespace);
    apply(renderSparkApplication(processNodeSpec({
      name: 'crash',
      namespace,
      sparkVersion: VERSION,
      mainClass: JOBS.sparkPi,
      mainApplicationFile: `local://${node!.jobsJars[VERSION]}`,
      arguments: ['50'],
      driver: { retries: 1 },
      executor: { instances: 2 },
    })), { namespace });
    const pods = () => node!.api.pods({ namespace });
    const role = (p: any) => p.metadata.labels?.['spark-role'];
    const ownerUid = (p: any) => p.metadata.ownerReferences?.find((o: any) => o.controller)?.uid;
    await waitUntil(async () => (await pods()).filter((p) => role(p) === 'executor' && p.status?.phase === 'Running').length === 2, 180_000, 'two executor pods Running');
    const first = (await pods()).find((p) => role(p) === 'driver')!;
    const record = node!.kubelet.records().find((r) => r.namespace === namespace && r.name === first.metadata.name)!;
    // A crash, as a lost node or an OOM kill: no shutdown hook runs, so nothing cleans up.
    process.kill(record.pid!, 'SIGKILL');

    const job = () => node!.api.get(`/apis/batch/v1/namespaces/${namespace}/jobs/crash-driver`);
    await waitUntil(async () => (await job()).status?.succeeded === 1, 300_000, 'the Job Complete after one retry');
    const all = await pods();
    const drivers = all.filter((p) => role(p) === 'driver');
    expect(drivers.map((p) => p.status.phase).sort()).toEqual(['Failed', 'Succeeded']);
    const second = drivers.find((p) => p.metadata.uid !== first.metadata.uid)!;
    expect(node!.kubelet.logOf(namespace, second.metadata.name)).toMatch(/^Pi is roughly 3\.1/m);
    // The first attempt's executors: owned by the first driver pod, named after it, and stopped
    // (they exit once their driver is gone). The second attempt created executors of its own.
    await waitUntil(async () => (await pods()).filter((p) => ownerUid(p) === first.metadata.uid).every((p) => p.status?.phase !== 'Running' && p.status?.phase !== 'Pending'), 120_000, 'the first attempt\'s executors stopped');
    const firstExecutors = (await pods()).filter((p) => ownerUid(p) === first.metadata.uid);
    expect(firstExecutors.length).toBeGreaterThan(0);
    for (const executor of firstExecutors) expect(executor.metadata.name.startsWith(`${first.metadata.name}-exec-`)).toBe(true);
    expect(node!.kubelet.records().some((r) => r.namespace === namespace && r.name.startsWith(`${second.metadata.name}-exec-`))).toBe(true);

    // Deleting the Job takes everything with it: driver pods, and through them every executor pod.
    kubectl(['delete', 'job', 'crash-driver', '-n', namespace, '--wait=false']);
    await waitUntil(async () => (await pods()).length === 0, 120_000, `every pod of ${namespace} gone`);
    await expectNothingLeft();
  });
});
