// A PySpark job with dynamic allocation (shuffle tracking) and an S3 endpoint from a Secret.
import { Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { SparkApplication } from 'sparkplane/cdk8s';

export class PySparkChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
    new SparkApplication(this, 'pyspark-pi', {
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
  }
}
