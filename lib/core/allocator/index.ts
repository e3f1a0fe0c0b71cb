export * from './allocator-spec';
export * from './protocol';
export { ALLOCATOR_OWNED_SPARK_KEYS, ALLOCATOR_POLICY_RULES, BRIDGE_CLASSPATH, SPARKPLANE_IMAGE_UID } from './allocator-sidecar';
