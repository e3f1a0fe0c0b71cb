// `sparkplane/pulumi`: Pulumi components over the core.
export * from './spark-application';
export * from './external-shuffle-service';
export * from './staging-server';
