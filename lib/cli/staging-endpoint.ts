// Where a staged file lives: the API server's service-proxy path the CLI uploads through, and the
// in-cluster URL the driver fetches from. Both name the staging server's Service by its data port's
// name, the one form the uploader Role's resourceNames can match (docs/staging-server-research.md §5.4).
import { blobPath, STAGING_DATA_PORT, STAGING_PORT_NAME } from '../core/staging/protocol';

/** The staging server's Service name when --service is not given. */
export const DEFAULT_STAGING_SERVICE = 'staging-server';

/** Which staging server: its Service, in its namespace. */
export interface StagingServiceRef {
  readonly namespace: string;
  readonly service: string;
}

/**
 * The name the API server authorizes a proxied request against: `<service>:<port name>`. RBAC
 * compares resourceNames with it exactly, so `<service>` alone or `<service>:7080` would be refused.
 */
export function serviceProxyResourceName(service: string): string {
  return `${service}:${STAGING_PORT_NAME}`;
}

/** The API server path that proxies to the blob `sha256` of the staging server. */
export function serviceProxyBlobPath(ref: StagingServiceRef, sha256: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/services/${encodeURIComponent(ref.service)}:${STAGING_PORT_NAME}/proxy${blobPath(sha256)}`;
}

/** The API server path of a Secret. */
export function secretPath(namespace: string, name: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`;
}

/** The Secret holding the tokens when --secret is not given. */
export function defaultTokenSecretName(service: string): string {
  return `${service}-tokens`;
}

/** The URL of the blob inside the cluster, through the Service's DNS name. */
export function inClusterBlobUrl(ref: StagingServiceRef, sha256: string): string {
  return `http://${ref.service}.${ref.namespace}.svc:${STAGING_DATA_PORT}${blobPath(sha256)}`;
}
