// The negative control of the examples suite: the test namespaces really enforce Pod Security
// "restricted". An application rendered with podSecurity "privileged" and a hostPath volume gets
// no driver pod there, so the pods admitted in examples.test.ts were admitted on their merits.
import { renderSparkApplication, type SparkApplicationSpec } from '../../lib/core';
import { apply, createRestrictedNamespace, deleteNamespace, eventsFor, list, waitFor, type KubeObj } from './support/kube';

const base: Omit<SparkApplicationSpec, 'name'> = {
  sparkVersion: '4.0.2',
  mainClass: 'org.apache.spark.examples.SparkPi',
  mainApplicationFile: 'local:///opt/spark/examples/jars/spark-examples_2.13-4.0.2.jar',
};

function jobOf(objects: KubeObj[]): KubeObj {
  return objects.find((o) => o.kind === 'Job')!;
}

describe('Pod Security admission in the test namespaces', () => {
  let namespace: string;

  beforeAll(async () => {
    namespace = await createRestrictedNamespace();
  });

  afterAll(() => deleteNamespace(namespace));

  it('refuses the driver pod of an application rendered with podSecurity "privileged" and a hostPath volume', async () => {
    const objects = renderSparkApplication({
      ...base,
      name: 'host-logs',
      namespace,
      podSecurity: 'privileged',
      volumes: [{ name: 'host-logs', hostPath: { path: '/var/log', type: 'Directory' } }],
      driver: { volumeMounts: [{ name: 'host-logs', mountPath: '/host/var/log', readOnly: true }] },
    }) as KubeObj[];
    const job = jobOf(objects);

    // The Job itself is admitted (PodSecurity judges pods); the namespace's warn label flags its template.
    const applied = apply(objects, { namespace });
    expect(applied.stderr).toMatch(/would violate PodSecurity "restricted:latest": .*volume "host-logs" uses restricted volume type "hostPath"/);

    const refusals = await waitFor(
      () => {
        const failed = eventsFor(namespace, 'Job', job.metadata.name).filter((e) => e.reason === 'FailedCreate');
        return failed.length ? failed.map((e) => e.message as string) : undefined;
      },
      60_000,
      `a FailedCreate event on Job ${namespace}/${job.metadata.name}`,
    );
    for (const message of refusals) {
      expect(message).toMatch(/violates PodSecurity "restricted:latest": .*volume "host-logs" uses restricted volume type "hostPath"/);
    }
    expect(list('pods', namespace, `batch.kubernetes.io/job-name=${job.metadata.name}`)).toEqual([]);
  });

  it('admits the driver pod of the same application without the hostPath volume, in the same namespace', async () => {
    const objects = renderSparkApplication({ ...base, name: 'no-host-logs', namespace }) as KubeObj[];
    const job = jobOf(objects);
    const applied = apply(objects, { namespace });
    expect(applied.stderr).not.toMatch(/PodSecurity/);
    const pod = await waitFor(
      () => list('pods', namespace, `batch.kubernetes.io/job-name=${job.metadata.name}`)[0],
      60_000,
      `a driver pod of Job ${namespace}/${job.metadata.name}`,
    );
    expect(pod.metadata.name.startsWith(`${job.metadata.name}-`)).toBe(true);
    expect(eventsFor(namespace, 'Job', job.metadata.name).filter((e) => e.reason === 'FailedCreate')).toEqual([]);
  });
});
