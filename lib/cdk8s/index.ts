// `sparkplane/cdk8s`: cdk8s constructs over the core.
export * from './spark-application';
export * from './external-shuffle-service';
export * from './staging-server';
export { type VolumeInput, type SecretInput } from './kplus-interop';
export * from './zeppelin';
export * from './prometheus';
