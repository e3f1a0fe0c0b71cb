export * from './spec';
export * from './protocol';
export { renderStagingServer, stagingServerNames, stagingServerRefOf, stagingServerUrl, DEFAULT_STAGING_SERVER_NAME, STAGING_STORAGE_DIR, type StagingServerNames } from './render';
export { validateStagingServer } from './validate';
export { isLocalPath, stageLocalFile, stagedFileUri, type StagedFile } from './local-files';
export { DEPENDENCY_SPARK_KEYS } from './application-wiring';
