// Monitoring with cdk8s: a Prometheus server for the spark-jobs namespace, with a Pushgateway and
// your kube-state-metrics, and a nightly batch job that pushes its metrics, final figures included.
// Run kube-state-metrics with the label allowlist in docs/monitoring.md for the failed-driver alert.
import { Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { Prometheus, SparkApplication } from 'sparkplane/cdk8s';

export class MonitoringChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
    const prometheus = new Prometheus(this, 'prometheus', {
      namespace: 'monitoring',
      targetNamespaces: ['spark-jobs'],
      pushgateway: {},
      kubeStateMetrics: 'kube-state-metrics.kube-system.svc:8080',
      retention: '30d',
      storageSize: '50Gi',
    });
    new SparkApplication(this, 'nightly-report', {
      namespace: 'spark-jobs',
      sparkVersion: '4.0.2',
      mainClass: 'org.apache.spark.examples.SparkPi',
      mainApplicationFile: 'local:///opt/spark/examples/jars/spark-examples_2.13-4.0.2.jar',
      arguments: ['1000'],
      monitoring: { pushgateway: { url: prometheus.pushgatewayUrl!, image: 'registry.example.com/sparkplane:0.1.0' } },
    });
  }
}
