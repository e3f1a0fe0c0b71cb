// The negative control of "accepted by server-side apply with strict field validation": the apply
// helper the suite uses has the API server itself refuse a field it does not know, instead of the
// field being dropped (or only checked on the client, as kubectl does for the items of a v1 List).
import { renderSparkApplication } from '../../lib/core';
import { apply, createRestrictedNamespace, deleteNamespace, getObject, KubectlError, type KubeObj } from './support/kube';

describe('server-side apply in the suite', () => {
  let namespace: string;

  beforeAll(async () => {
    namespace = await createRestrictedNamespace();
  });

  afterAll(() => deleteNamespace(namespace));

  it('has the API server refuse a rendered Job with an unknown field, naming the field, and creates nothing', () => {
    const objects = renderSparkApplication({
      name: 'typo',
      namespace,
      sparkVersion: '4.0.2',
      mainClass: 'org.apache.spark.examples.SparkPi',
      mainApplicationFile: 'local:///opt/spark/examples/jars/spark-examples_2.13-4.0.2.jar',
    }) as KubeObj[];
    const job = objects.find((o) => o.kind === 'Job')!;
    job.spec.template.spec.containers[0].imagePullPolcy = 'Always';

    let error: unknown;
    try {
      apply([job], { namespace });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KubectlError);
    expect((error as KubectlError).result.stderr).toMatch(/Error from server: .*\.spec\.template\.spec\.containers\[name="spark-driver"\]\.imagePullPolcy: field not declared in schema/);
    expect(getObject('job', job.metadata.name, namespace)).toBeUndefined();
  });
});
