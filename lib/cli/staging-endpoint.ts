// Where a staged file lives: the API server's service-proxy path the CLI uploads through, and the
// in-cluster URL the driver fetches from. Both name the staging server's Service by its data port's
// name, the one form the uploader Role's resourceNames can match (docs/staging-server-research.md §5.4).
import { blobPath, serviceProxyResourceName } from '../core/staging/protocol';

export { serviceProxyResourceName };
import { DEFAULT_STAGING_SERVER_NAME, stagingServerNames, stagingServerUrl } from '../core/staging/render';

/** The staging server's Service name when --service is not given: the StagingServer's default name. */
export const DEFAULT_STAGING_SERVICE = DEFAULT_STAGING_SERVER_NAME;

/** Which staging server: its Service, in its namespace. */
export interface StagingServiceRef {
  readonly namespace: string;
  readonly service: string;
}

/** The API server path that proxies to the blob `sha256` of the staging server. */
export function serviceProxyBlobPath(ref: StagingServiceRef, sha256: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/services/${serviceProxyResourceName(encodeURIComponent(ref.service))}/proxy${blobPath(sha256)}`;
}

/** The API server path of a Secret. */
export function secretPath(namespace: string, name: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`;
}

/** The Secret holding the tokens when --secret is not given: the one the StagingServer of that name renders. */
export function defaultTokenSecretName(service: string): string {
  return stagingServerNames({ name: service }).tokens;
}

/** The Role a StagingServer of that name renders with exactly the permissions staging needs. */
export function uploaderRoleName(service: string): string {
  return stagingServerNames({ name: service }).uploader;
}

/** The URL of the blob inside the cluster, through the Service's DNS name. */
export function inClusterBlobUrl(ref: StagingServiceRef, sha256: string): string {
  return `${stagingServerUrl({ name: ref.service }, ref.namespace)}${blobPath(sha256)}`;
}
