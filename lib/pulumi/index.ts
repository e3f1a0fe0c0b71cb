// `sparkplane/pulumi`: Pulumi components over the core.
export * from './spark-application';
export * from './external-shuffle-service';
export * from './staging-server';
export * from './zeppelin';
export * from './prometheus';
// The provider itself is not API: only the resource and its types.
export { StagedFiles, type StagedFileOutput, type StagedFilesArgs, type StagedFilesConnection } from './staged-files';

