// renderSparkApplication: validate, resolve defaults, and return every object of the application
// in a fixed order (identity and permissions first, then configuration, Services, and the Job).
import type { KubeObject } from '../kube-objects';
import { toYaml } from '../yaml';
import { renderDriverJob, sha256 } from './driver-job';
import { renderDriverRbac } from './driver-rbac';
import { renderDriverServices } from './driver-services';
import { renderExecutorPodTemplate } from './executor-pod-template';
import { EXECUTOR_POD_TEMPLATE_FILE, SPARK_PROPERTIES_FILE } from './layout';
import { applicationLabels } from './naming';
import { resolveSparkApplication } from './resolve';
import type { SparkApplicationSpec } from './spec';
import { formatJavaProperties, renderSparkProperties } from './spark-properties';
import { validateSparkApplication } from './validate';
import { assertEmittedKeysExist } from '../spark/conf-keys';

/** Every Kubernetes object of a Spark application. Throws `SparkplaneValidationError` on bad input. */
export function renderSparkApplication(spec: SparkApplicationSpec): KubeObject[] {
  validateSparkApplication(spec);
  const app = resolveSparkApplication(spec);
  const sparkProperties = renderSparkProperties(app);
  assertEmittedKeysExist(sparkProperties, app.version.line, spec.sparkConf ?? {});
  const properties = formatJavaProperties(sparkProperties);
  const executorPodTemplate = toYaml(renderExecutorPodTemplate(app));
  const configMap: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: app.names.configMap, namespace: app.namespace, labels: applicationLabels(app.name, spec.labels) },
    data: { [SPARK_PROPERTIES_FILE]: properties, [EXECUTOR_POD_TEMPLATE_FILE]: executorPodTemplate },
  };
  return [
    ...renderDriverRbac(app),
    configMap,
    ...renderDriverServices(app),
    renderDriverJob(app, sha256(properties + executorPodTemplate)),
  ];
}
