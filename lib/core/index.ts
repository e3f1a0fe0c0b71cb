// sparkplane's framework-free core: specs, validation and rendering to plain Kubernetes objects.
export * from './kube-objects';
export * from './compact';
export * from './yaml';
export * from './validation';
export * from './pod-security';
export * from './quantity';
export * from './kube-names';
export * from './spark/spark-version';
export { isSparkConfKey, sparkConfKeyProblem, sparkConfKeys, type SparkConfKeyInfo } from './spark/conf-keys';
export * from './spark-application';
export * from './allocator';
export * from './shuffle-service';
export { imageProblem } from './props-checker';
export * from './staging';
export * from './zeppelin';
export * from './monitoring';
