export * from './spec';
export * from './render';
export * from './validate';
export * from './naming';
export * from './layout';
export { RESERVED_SPARK_CONF_KEYS, renderSparkProperties, formatJavaProperties } from './spark-properties';
export { renderExecutorPodTemplate } from './executor-pod-template';
export { driverPolicyRules, type PolicyRule } from './driver-rbac';
export { resolveSparkApplication, type ResolvedSparkApplication } from './resolve';
