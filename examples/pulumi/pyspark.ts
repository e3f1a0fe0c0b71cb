// A PySpark job with dynamic allocation: the same application as the cdk8s example.
import { SparkApplication } from 'sparkplane/pulumi';

/** The stack; `maxExecutors` is a knob the integration suite turns to see what an update touches. */
export async function pySparkProgram({ maxExecutors = 10 } = {}) {
  const pyspark = new SparkApplication('pyspark-pi', {
    namespace: 'spark-jobs',
    sparkVersion: '3.5.8',
    mainApplicationFile: 'local:///opt/spark/examples/src/main/python/pi.py',
    arguments: ['100'],
    dynamicAllocation: { minExecutors: 1, maxExecutors, executorIdleTimeout: '30s' },
    executor: {
      memory: '2g',
      secretEnv: { AWS_ACCESS_KEY_ID: { secretName: 's3-credentials', key: 'access-key' } },
      tolerations: [{ key: 'spark', operator: 'Exists', effect: 'NoSchedule' }],
    },
    hadoopConf: { 'fs.s3a.endpoint': 'http://minio.storage.svc:9000', 'fs.s3a.path.style.access': 'true' },
  });
  return { driverJob: pyspark.driverJobName, namespace: pyspark.namespace };
}
