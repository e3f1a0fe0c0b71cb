// Monitoring: the same stack as the cdk8s example.
import { Prometheus, SparkApplication } from 'sparkplane/pulumi';

/** The stack; `retention` is a knob the integration suite turns to see what an update touches. */
export async function monitoringProgram({ retention = '30d' } = {}) {
  const prometheus = new Prometheus('prometheus', {
    namespace: 'monitoring',
    targetNamespaces: ['spark-jobs'],
    pushgateway: {},
    kubeStateMetrics: 'kube-state-metrics.kube-system.svc:8080',
    retention,
    storageSize: '50Gi',
  });
  const app = new SparkApplication('nightly-report', {
    namespace: 'spark-jobs',
    sparkVersion: '4.0.2',
    mainClass: 'org.apache.spark.examples.SparkPi',
    mainApplicationFile: 'local:///opt/spark/examples/jars/spark-examples_2.13-4.0.2.jar',
    arguments: ['1000'],
    monitoring: { pushgateway: { url: prometheus.pushgatewayUrl!, image: 'registry.example.com/sparkplane:0.1.0' } },
  });
  return { prometheus: prometheus.serviceName, driverJob: app.driverJobName };
}
