// Pulumi Inputs that are not known when the program runs (Outputs of other resources) still render:
// their resolved values land in every place they appear, and are validated when they arrive.
import { spawnSync } from 'child_process';
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import { parseJavaProperties } from '../support/render-helpers';
import { capturePulumiResources, kubeObjectsOf } from '../support/pulumi-mocks';
import { dnsLabelProblem } from '../../lib/core';
import { SparkApplication } from '../../lib/pulumi';
import { InputPlaceholders } from '../../lib/pulumi/input-placeholders';
import { minimalSpec } from '../support/specs';

describe('Pulumi Inputs', () => {
  it('substitute Output values for namespace, image and pull secrets wherever they appear', async () => {
    const objects = kubeObjectsOf(await capturePulumiResources(() => {
      new SparkApplication('pi', {
        ...minimalSpec,
        namespace: pulumi.output('analytics'),
        image: pulumi.output(Promise.resolve('registry.example.com/spark:4.0.2')),
        imagePullSecrets: [pulumi.output('registry-credentials')],
      });
    }));
    expect(new Set(objects.map((o) => o.metadata.namespace))).toEqual(new Set(['analytics']));
    const job = objects.find((o) => o.kind === 'Job')!;
    expect(job.spec.template.spec.containers[0].image).toBe('registry.example.com/spark:4.0.2');
    expect(job.spec.template.spec.imagePullSecrets).toEqual([{ name: 'registry-credentials' }]);
    const properties = parseJavaProperties(objects.find((o) => o.kind === 'ConfigMap')!.data['spark.properties']);
    expect(properties['spark.kubernetes.container.image']).toBe('registry.example.com/spark:4.0.2');
    expect(properties['spark.driver.host']).toBe('spark-pi-driver.analytics.svc');
    expect(objects.find((o) => o.kind === 'RoleBinding')!.subjects[0].namespace).toBe('analytics');
    expect(JSON.stringify(objects)).not.toMatch(/spkpl0in/);
  });

  it('fail the program when a resolved value is invalid, naming the property', () => {
    const program = path.join(__dirname, '..', 'support', 'pulumi-bad-namespace.program.ts');
    const run = spawnSync(process.execPath, [require.resolve('tsx/cli'), program], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/namespace = "Not_A_Namespace": must consist of lower-case letters/);
  });

  it('check a namespace Output against the shuffle service\'s namespaces once it resolves', async () => {
    const objects = kubeObjectsOf(await capturePulumiResources(() => {
      new SparkApplication('pi', { ...minimalSpec, namespace: pulumi.output('batch'), podSecurity: 'privileged', shuffleService: { applicationNamespaces: ['batch'] } });
    }));
    const job = objects.find((o) => o.kind === 'Job')!;
    expect(job.spec.template.spec.containers[0].args).toContain('spark.executorEnv.SPARK_EXECUTOR_DIRS=/var/lib/sparkplane/shuffle/apps/batch/$(SPARK_DRIVER_POD_NAME)_$(SPARK_DRIVER_POD_UID)/SPARK_APPLICATION_ID');
    const program = path.join(__dirname, '..', 'support', 'pulumi-bad-namespace.program.ts');
    const run = spawnSync(process.execPath, [require.resolve('tsx/cli'), program, 'shuffle'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/namespace = "elsewhere": is not among shuffleService.applicationNamespaces \(batch\)/);
  });

  it('pass plain strings through without Outputs', () => {
    const inputs = new InputPlaceholders();
    expect(inputs.plain('spark-jobs', (value) => dnsLabelProblem(value), 'namespace')).toBe('spark-jobs');
    expect(inputs.substitute({ a: ['spark-jobs'] })).toEqual({ a: ['spark-jobs'] });
  });
});
