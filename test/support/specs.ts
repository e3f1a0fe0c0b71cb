// Specs the tests share: a minimal valid application and a fully customised one.
import type { SparkApplicationSpec } from '../../lib/core';

/** The smallest valid spec. */
export const minimalSpec: SparkApplicationSpec = {
  name: 'spark-pi',
  sparkVersion: '4.0.2',
  mainClass: 'org.apache.spark.examples.SparkPi',
  mainApplicationFile: 'local:///opt/spark/examples/jars/spark-examples.jar',
};

/** A spec that sets every kind of customisation. */
export const fullSpec: SparkApplicationSpec = {
  ...minimalSpec,
  name: 'etl',
  namespace: 'data',
  image: 'registry.example.com/spark:4.0.2-custom',
  imagePullPolicy: 'Always',
  imagePullSecrets: ['registry-credentials'],
  arguments: ['--date', '2026-11-25', '$(NOT_A_VARIABLE)'],
  labels: { team: 'data' },
  volumes: [
    { name: 'reference-data', persistentVolumeClaim: { claimName: 'reference-data', readOnly: true } },
    { name: 'certs', secret: { secretName: 'etl-certs' } },
    { name: 'settings', configMap: { name: 'etl-settings' } },
    { name: 'cache', emptyDir: { sizeLimit: '10Gi' } },
  ],
  driver: {
    cores: 2,
    coreLimit: '2',
    memory: '4g',
    memoryOverhead: '1g',
    ephemeralStorage: '5Gi',
    retries: 5,
    deadlineSeconds: 7200,
    ttlSecondsAfterFinished: 3600,
    labels: { tier: 'driver' },
    annotations: { 'example.com/owner': 'etl' },
    nodeSelector: { pool: 'on-demand' },
    priorityClassName: 'high-priority',
    env: { LOG_LEVEL: 'INFO' },
    secretEnv: { DB_PASSWORD: { secretName: 'etl-db', key: 'password' } },
    envFromSecrets: ['etl-env'],
    volumeMounts: [{ name: 'reference-data', mountPath: '/data/reference', readOnly: true }],
    initContainers: [{ name: 'wait-for-db', image: 'busybox:1.36', command: ['sh', '-c', 'true'] }],
    sidecars: [{ name: 'log-shipper', image: 'fluent/fluent-bit:3.0' }],
  },
  executor: {
    instances: 4,
    cores: 4,
    coreRequest: '3500m',
    coreLimit: '4',
    memory: '8g',
    memoryOverhead: '2g',
    ephemeralStorage: '20Gi',
    labels: { tier: 'executor' },
    tolerations: [{ key: 'spot', operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['spot'] }] }] } } },
    volumeMounts: [{ name: 'cache', mountPath: '/cache' }, { name: 'certs', mountPath: '/etc/etl/certs', readOnly: true }],
    env: { LOG_LEVEL: 'WARN' },
  },
  sparkConf: { 'spark.sql.shuffle.partitions': '400', 'spark.serializer': 'org.apache.spark.serializer.KryoSerializer' },
  hadoopConf: { 'fs.s3a.endpoint': 'http://minio:9000' },
};
