// SparkPi on Kubernetes with cdk8s: the driver under a Job, two executors, Spark 4.0.
import { Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { SparkApplication } from 'sparkplane/cdk8s';

export class SparkPiChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
    new SparkApplication(this, 'spark-pi', {
      namespace: 'spark-jobs',
      sparkVersion: '4.0.2',
      mainClass: 'org.apache.spark.examples.SparkPi',
      mainApplicationFile: 'local:///opt/spark/examples/jars/spark-examples_2.13-4.0.2.jar',
      arguments: ['1000'],
      driver: { cores: 1, memory: '1g' },
      executor: { instances: 2, cores: 1, memory: '1g', coreRequest: '500m' },
      sparkConf: { 'spark.sql.shuffle.partitions': '16' },
    });
  }
}
