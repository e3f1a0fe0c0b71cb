// The staging server's wire contract, shared by the server (lib/staging-server), the driver's
// fetch-staged init container, the `sparkplane stage` CLI, the Pulumi uploader and the renderers
// (docs/staging-server-research.md §7). Files are addressed by their SHA-256: a path is a digest, so
// nothing a client sends ever becomes a file name.

/** Port of the data API (uploads and downloads). */
export const STAGING_DATA_PORT = 7080;
/** Port of /healthz, /readyz and /metrics, separate so a NetworkPolicy can treat them apart. */
export const STAGING_METRICS_PORT = 7081;
/** Name of the data port in the Service: the API server's proxy path and the uploader Role name it. */
export const STAGING_PORT_NAME = 'http';

/**
 * The Service as the API server's proxy path names it, `<service>:<port name>`. RBAC matches
 * `services/proxy` resourceNames against exactly this text, so the CLI and the Role use one form.
 */
export function serviceProxyResourceName(service: string): string {
  return `${service}:${STAGING_PORT_NAME}`;
}

/**
 * The header that carries a token. Not Authorization: the API server's service proxy strips that
 * header after authenticating the user, so it never reaches the staging server.
 */
export const STAGING_TOKEN_HEADER = 'x-sparkplane-token';

/** Key of the upload token (PUT, HEAD, GET) in the tokens Secret. */
export const UPLOAD_TOKEN_KEY = 'upload-token';
/** Key of the read token (HEAD, GET) in the tokens Secret. */
export const READ_TOKEN_KEY = 'read-token';

/** A SHA-256 digest as 64 lower-case hex characters. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;
/** The path of a blob: the only paths the data API serves. */
export const BLOB_PATH = /^\/v1\/blobs\/sha256\/([0-9a-f]{64})$/;

/** The data API path of the blob with digest `sha256`. */
export function blobPath(sha256: string): string {
  if (!SHA256_HEX.test(sha256)) throw new Error(`not a SHA-256 digest: ${JSON.stringify(sha256)}`);
  return `/v1/blobs/sha256/${sha256}`;
}

/** Where the driver container sees staged files (an emptyDir filled by the fetch-staged init container). */
export const STAGED_FILES_DIR = '/opt/sparkplane/staged';

/** Why `name` cannot be a staged file's name (a single, plain path segment), or undefined if it can. */
export function stagedFileNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name === '.' || name === '..') return 'is "." or ".."';
  if (name.includes('/')) return 'contains "/" (it must be a file name, not a path)';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'contains a control character';
  // The temporary file is ".<name>.part": it must fit in a file name (255 bytes) too.
  if (Buffer.byteLength(name) > 249) return `is ${Buffer.byteLength(name)} bytes long, more than 249`;
  return undefined;
}
