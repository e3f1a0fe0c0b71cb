// SparkPi on Kubernetes with Pulumi: the same application as the cdk8s example.
import { SparkApplication } from 'sparkplane/pulumi';

/** The stack; `executorInstances` is a knob the integration suite turns to see what an update touches. */
export async function sparkPiProgram({ executorInstances = 2 } = {}) {
  const sparkPi = new SparkApplication('spark-pi', {
    namespace: 'spark-jobs',
    sparkVersion: '4.0.2',
    mainClass: 'org.apache.spark.examples.SparkPi',
    mainApplicationFile: 'local:///opt/spark/examples/jars/spark-examples_2.13-4.0.2.jar',
    arguments: ['1000'],
    driver: { cores: 1, memory: '1g' },
    executor: { instances: executorInstances, cores: 1, memory: '1g', coreRequest: '500m' },
    sparkConf: { 'spark.sql.shuffle.partitions': '16' },
  });
  return { driverJob: sparkPi.driverJobName, namespace: sparkPi.namespace };
}
