import { Chart, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { SparkApplication } from '../../lib/cdk8s';
import { minimalSpec } from '../support/specs';

const { name: _, ...props } = minimalSpec;

describe('the cdk8s SparkApplication construct', () => {
  it('takes its name from the construct id and its namespace from the chart', () => {
    const chart = new Chart(Testing.app(), 'chart', { namespace: 'analytics' });
    const app = new SparkApplication(chart, 'nightly', props);
    expect(app.applicationName).toBe('nightly');
    expect(new Set(Testing.synth(chart).map((o) => o.metadata.namespace))).toEqual(new Set(['analytics']));
  });

  it('binds the Role to a given kplus ServiceAccount instead of creating one', () => {
    const chart = Testing.chart();
    const account = new kplus.ServiceAccount(chart, 'spark', { metadata: { name: 'spark-runner' } });
    const app = new SparkApplication(chart, 'pi', { ...props, driver: { serviceAccount: account } });
    const objects = Testing.synth(chart);
    expect(objects.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata.name)).toEqual(['spark-runner']);
    expect(objects.find((o) => o.kind === 'RoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: 'spark-runner', namespace: 'default' }]);
    expect(objects.find((o) => o.kind === 'Job').spec.template.spec.serviceAccountName).toBe('spark-runner');
    expect(app.serviceAccount).toBe(account);
  });

  it('accepts kplus Volumes and Secrets, converted to the Kubernetes shape', () => {
    const chart = Testing.chart();
    const settings = new kplus.ConfigMap(chart, 'settings', { metadata: { name: 'job-settings' }, data: { a: '1' } });
    const volume = kplus.Volume.fromConfigMap(chart, 'settings-volume', settings, { name: 'settings' });
    const scratch = kplus.Volume.fromEmptyDir(chart, 'scratch', 'scratch', { sizeLimit: Size.gibibytes(2) });
    const pullSecret = kplus.Secret.fromSecretName(chart, 'pull', 'registry-credentials');
    new SparkApplication(chart, 'pi', {
      ...props,
      volumes: [volume, scratch],
      imagePullSecrets: [pullSecret],
      executor: { volumeMounts: [{ name: 'settings', mountPath: '/etc/job' }] },
    });
    const job = Testing.synth(chart).find((o) => o.kind === 'Job');
    expect(job.spec.template.spec.volumes).toContainEqual({ name: 'settings', configMap: { name: 'job-settings' } });
    expect(job.spec.template.spec.volumes).toContainEqual({ name: 'scratch', emptyDir: { sizeLimit: '2048Mi' } });
    expect(job.spec.template.spec.imagePullSecrets).toEqual([{ name: 'registry-credentials' }]);
  });

  it('exposes handles to the Job, the ConfigMap and the UI Service', () => {
    const app = new SparkApplication(Testing.chart(), 'pi', props);
    expect(app.driverJob.kind).toBe('Job');
    expect(app.configMap.name).toBe('pi-spark-conf');
    expect(app.uiService.name).toBe('pi-ui');
    expect(app.apiObjects).toHaveLength(7);
  });

  it('raises the core\'s validation error at construction, before anything is added to the chart', () => {
    const chart = Testing.chart();
    expect(() => new SparkApplication(chart, 'Bad_Name', props)).toThrow(/name = "Bad_Name"/);
    expect(Testing.synth(chart)).toEqual([]);
  });
});
