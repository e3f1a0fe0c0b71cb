// Dynamic allocation that removes executors without losing their shuffle files, with cdk8s: Spark's
// external shuffle service on every node, and an application whose executors write to it.
import { ApiObject, Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { ExternalShuffleService, SparkApplication } from 'sparkplane/cdk8s';

/** The application's namespace: host network and a host directory need the "privileged" level. */
export const SHUFFLE_EXAMPLE_NAMESPACE = 'spark-shuffle-jobs';

export class ShuffleServiceChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
    new ApiObject(this, 'namespace', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: SHUFFLE_EXAMPLE_NAMESPACE, labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } },
    });
    const shuffle = new ExternalShuffleService(this, 'shuffle-service', {
      sparkVersion: '4.0.2',
      janitorImage: 'registry.example.com/sparkplane:0.1.0',
      applicationNamespaces: [SHUFFLE_EXAMPLE_NAMESPACE],
      nodeSelector: { 'node.example.com/pool': 'spark' },
    });
    new SparkApplication(this, 'spark-pi-elastic', {
      namespace: SHUFFLE_EXAMPLE_NAMESPACE,
      sparkVersion: '4.0.2',
      mainClass: 'org.apache.spark.examples.SparkPi',
      mainApplicationFile: 'local:///opt/spark/examples/jars/spark-examples_2.13-4.0.2.jar',
      arguments: ['10000'],
      dynamicAllocation: { maxExecutors: 20, executorIdleTimeout: '30s' },
      shuffleService: shuffle,
      podSecurity: 'privileged',
    });
  }
}
