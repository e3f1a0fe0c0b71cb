export * from './spec';
export * from './layout';
export * from './resolve';
export * from './validate';
export * from './render';
export { prepareScript, SHUFFLE_CONF_DIR, SHUFFLE_CONTAINER_NAMES, shuffleServiceContainerMemoryMiB } from './daemon-set';
export { SHUFFLE_OWNED_SPARK_KEYS, toleratedBy } from './application-wiring';
