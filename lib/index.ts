// The `sparkplane` entry point: the framework-free core. Front ends: `sparkplane/cdk8s`, `sparkplane/pulumi`.
export * from './core';
