// A PySpark job with dynamic allocation: the same application as the cdk8s example.
import { SparkApplication } from 'sparkplane/pulumi';

export async function pySparkProgram() {
  const pyspark = new SparkApplication('pyspark-pi', {
    namespace: 'spark-jobs',
    sparkVersion: '3.5.8',
    mainApplicationFile: 'local:///opt/spark/examples/src/main/python/pi.py',
    arguments: ['100'],
    dynamicAllocation: { minExecutors: 1, maxExecutors: 10, executorIdleTimeout: '30s' },
    executor: {
      memory: '2g',
      secretEnv: { AWS_ACCESS_KEY_ID: { secretName: 's3-credentials', key: 'access-key' } },
      tolerations: [{ key: 'spark', operator: 'Exists', effect: 'NoSchedule' }],
    },
    hadoopConf: { 'fs.s3a.endpoint': 'http://minio.storage.svc:9000', 'fs.s3a.path.style.access': 'true' },
  });
  return { driverJob: pyspark.driverJobName, namespace: pyspark.namespace };
}
