// The two front ends render the same core, so for each example the cdk8s synth output and the
// inputs Pulumi would send must be the same objects (less the annotations only Pulumi needs).
import { Testing } from 'cdk8s';
import { PySparkChart } from '../../examples/cdk8s/pyspark';
import { ShuffleServiceChart } from '../../examples/cdk8s/shuffle-service';
import { StagedPySparkChart } from '../../examples/cdk8s/staged-pyspark';
import { SparkPiChart } from '../../examples/cdk8s/spark-pi';
import { MonitoringChart } from '../../examples/cdk8s/monitoring';
import { ZeppelinChart } from '../../examples/cdk8s/zeppelin';
import { monitoringProgram } from '../../examples/pulumi/monitoring';
import { pySparkProgram } from '../../examples/pulumi/pyspark';
import { shuffleServiceProgram } from '../../examples/pulumi/shuffle-service';
import { stagedPySparkProgram } from '../../examples/pulumi/staged-pyspark';
import { sparkPiProgram } from '../../examples/pulumi/spark-pi';
import { zeppelinProgram } from '../../examples/pulumi/zeppelin';
import { pulumiOnlyAnnotations } from '../../lib/pulumi';
import { capturePulumiResources, kubeObjectsOf } from '../support/pulumi-mocks';

const byKindAndName = (a: any, b: any) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`);

function withoutPulumiOnlyAnnotations(object: Record<string, any>): Record<string, any> {
  const extra = pulumiOnlyAnnotations(object as never);
  if (!Object.keys(extra).length) return object;
  const annotations = Object.fromEntries(Object.entries(object.metadata.annotations ?? {}).filter(([key]) => !(key in extra)));
  const { annotations: _, ...metadata } = object.metadata;
  return { ...object, metadata: Object.keys(annotations).length ? { ...metadata, annotations } : metadata };
}

describe.each([
  ['SparkPi', SparkPiChart, sparkPiProgram],
  ['PySpark', PySparkChart, pySparkProgram],
  ['shuffle service', ShuffleServiceChart, shuffleServiceProgram],
  ['staged PySpark', StagedPySparkChart, stagedPySparkProgram],
  ['Zeppelin', ZeppelinChart, zeppelinProgram],
  ['monitoring', MonitoringChart, monitoringProgram],
])('the %s example', (_, Chart, program) => {
  it('renders the same objects through cdk8s and through Pulumi', async () => {
    const cdk8sObjects = Testing.synth(new Chart(Testing.app(), 'test')).sort(byKindAndName);
    const pulumiObjects = kubeObjectsOf(await capturePulumiResources(program)).map(withoutPulumiOnlyAnnotations).sort(byKindAndName);
    expect(cdk8sObjects.length).toBeGreaterThanOrEqual(7);
    expect(pulumiObjects).toEqual(cdk8sObjects);
  });
});

describe.each([
  ['SparkPi', sparkPiProgram],
  ['PySpark', pySparkProgram],
])('the %s example', (_, program) => {
  it('registers a sparkplane:spark:Application component whose children are typed Kubernetes resources', async () => {
    const resources = await capturePulumiResources(program);
    expect(resources.filter((r) => r.type === 'sparkplane:spark:Application')).toHaveLength(1);
    expect(resources.map((r) => r.type).filter((t) => t !== 'sparkplane:spark:Application').sort()).toEqual([
      'kubernetes:batch/v1:Job', 'kubernetes:core/v1:ConfigMap', 'kubernetes:core/v1:Service', 'kubernetes:core/v1:Service',
      'kubernetes:core/v1:ServiceAccount', 'kubernetes:rbac.authorization.k8s.io/v1:Role', 'kubernetes:rbac.authorization.k8s.io/v1:RoleBinding',
    ]);
  });
});

describe('the shuffle service example through Pulumi', () => {
  it('registers a sparkplane:spark:ExternalShuffleService component whose children wait for its Namespace', async () => {
    const resources = await capturePulumiResources(shuffleServiceProgram);
    expect(resources.filter((r) => r.type === 'sparkplane:spark:ExternalShuffleService')).toHaveLength(1);
    expect(resources.map((r) => r.type).filter((t) => t.startsWith('kubernetes:')).sort()).toEqual([
      'kubernetes:apps/v1:DaemonSet', 'kubernetes:batch/v1:Job', 'kubernetes:core/v1:ConfigMap', 'kubernetes:core/v1:ConfigMap',
      'kubernetes:core/v1:Namespace', 'kubernetes:core/v1:Namespace', 'kubernetes:core/v1:Service', 'kubernetes:core/v1:Service',
      'kubernetes:core/v1:ServiceAccount', 'kubernetes:core/v1:ServiceAccount',
      'kubernetes:rbac.authorization.k8s.io/v1:ClusterRole', 'kubernetes:rbac.authorization.k8s.io/v1:Role',
      'kubernetes:rbac.authorization.k8s.io/v1:RoleBinding', 'kubernetes:rbac.authorization.k8s.io/v1:RoleBinding',
    ]);
  });
});

describe('the Zeppelin example through Pulumi', () => {
  it('registers a sparkplane:spark:Zeppelin component whose Deployment waits for everything before it', async () => {
    const resources = await capturePulumiResources(zeppelinProgram);
    expect(resources.filter((r) => r.type === 'sparkplane:spark:Zeppelin')).toHaveLength(1);
    expect(resources.filter((r) => r.type.startsWith('kubernetes:')).map((r) => r.type)).toContain('kubernetes:apps/v1:Deployment');
    expect(resources.some((r) => r.type.includes('ClusterRole'))).toBe(false);
  });
});

describe('the Pulumi front end\'s resource classes', () => {
  it('cover Zeppelin\'s Ingress and the Prometheus Operator\'s kinds', async () => {
    const resources = await capturePulumiResources(async () => {
      new (await import('../../lib/pulumi')).Zeppelin('z', {
        namespace: 'notebooks', sparkplaneImage: 'r/sp:1', auth: { allowAnonymousAccessByAnyoneWhoCanReachZeppelin: true }, spark: { sparkVersion: '4.0.5' },
        ingress: { host: 'zeppelin.example.com', tlsSecretName: 'tls' },
      });
      new (await import('../../lib/pulumi')).PrometheusOperatorMonitoring('m', { targetNamespaces: ['batch'] });
    });
    const types = resources.map((r) => r.type);
    expect(types).toContain('kubernetes:networking.k8s.io/v1:Ingress');
    expect(types.filter((t) => t === 'kubernetes:monitoring.coreos.com/v1:PodMonitor')).toHaveLength(2);
    expect(types).toContain('kubernetes:monitoring.coreos.com/v1:PrometheusRule');
  });
});

describe('what `pulumi up` waits for', () => {
  it('waits for a driver Job only until it has started, not for driver Services, and for servers as Pulumi does', async () => {
    const annotationsOf = async (program: () => Promise<unknown>) => Object.fromEntries(kubeObjectsOf(await capturePulumiResources(program))
      .map((o: any) => [`${o.kind}/${o.metadata.name}`, Object.fromEntries(Object.entries(o.metadata.annotations ?? {}).filter(([k]) => k.startsWith('pulumi.com/')))]));
    const sparkPi = await annotationsOf(sparkPiProgram);
    expect(sparkPi['Job/spark-pi-driver']).toEqual({ 'pulumi.com/waitFor': 'jsonpath={.status.startTime}' });
    expect(sparkPi['Service/spark-pi-driver']).toEqual({ 'pulumi.com/skipAwait': 'true' });
    expect(sparkPi['Service/spark-pi-ui']).toEqual({ 'pulumi.com/skipAwait': 'true' });
    expect(sparkPi['ConfigMap/spark-pi-spark-conf']).toEqual({});
    const zeppelin = await annotationsOf(zeppelinProgram);
    expect(zeppelin['Deployment/zeppelin-server']).toEqual({});
    expect(zeppelin['Service/zeppelin-server']).toEqual({});
  });
});
