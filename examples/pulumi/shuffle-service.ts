// Dynamic allocation with an external shuffle service: the same stack as the cdk8s example.
import * as k8s from '@pulumi/kubernetes';
import { ExternalShuffleService, SparkApplication } from 'sparkplane/pulumi';

/** The stack; `janitorImage` is a knob the integration suite turns to see what an update touches. */
export async function shuffleServiceProgram({ janitorImage = 'registry.example.com/sparkplane:0.1.0' } = {}) {
  const namespace = new k8s.core.v1.Namespace('spark-shuffle-jobs', {
    metadata: { name: 'spark-shuffle-jobs', labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } },
  });
  const shuffle = new ExternalShuffleService('shuffle-service', {
    sparkVersion: '4.0.2',
    janitorImage,
    applicationNamespaces: ['spark-shuffle-jobs'],
    nodeSelector: { 'node.example.com/pool': 'spark' },
  }, { dependsOn: [namespace] }); // its janitor's RoleBinding goes into that namespace
  const app = new SparkApplication('spark-pi-elastic', {
    namespace: 'spark-shuffle-jobs',
    sparkVersion: '4.0.2',
    mainClass: 'org.apache.spark.examples.SparkPi',
    mainApplicationFile: 'local:///opt/spark/examples/jars/spark-examples_2.13-4.0.2.jar',
    arguments: ['10000'],
    dynamicAllocation: { maxExecutors: 20, executorIdleTimeout: '30s' },
    shuffleService: shuffle,
    podSecurity: 'privileged',
  }, { dependsOn: [namespace] });
  return { shuffleNamespace: shuffle.namespace, driverJob: app.driverJobName };
}
