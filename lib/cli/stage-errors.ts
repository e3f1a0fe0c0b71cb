// What went wrong while staging, said so a user can act on it. An answer comes either from the API
// server itself (a v1 Status: RBAC, a missing Service, an unreachable pod) or from the staging server
// behind its proxy (a JSON {error, message}); the same HTTP status means different things for the two.
import { STAGING_TOKEN_HEADER, UPLOAD_TOKEN_KEY } from '../core/staging/protocol';
import { formatBytes } from './progress';
import { serviceProxyResourceName, uploaderRoleName, type StagingServiceRef } from './staging-endpoint';

/**
 * A failure with its reach: "run" stops the whole run (every file would fail the same way: RBAC,
 * an unreachable server, a wrong token), "file" fails one file and the next is tried.
 */
export class StageError extends Error {
  constructor(message: string, readonly reach: 'run' | 'file') {
    super(message);
    this.name = 'StageError';
  }
}

/** Where the files go, and the Secret the token is read from. */
export interface StageTarget extends StagingServiceRef {
  readonly secret: string;
}

/** An HTTP answer as the CLI saw it (the body capped, and empty for HEAD). */
export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

/** The fields of a Kubernetes v1 Status the messages use. */
export interface KubernetesStatus {
  readonly message: string;
  readonly reason?: string;
  readonly code?: number;
  readonly details?: { readonly name?: string; readonly kind?: string };
}

/** The body as a Kubernetes v1 Status, or undefined when it is something else (the staging server's JSON). */
export function parseKubernetesStatus(body: string): KubernetesStatus | undefined {
  const parsed = parseJson(body);
  if (parsed?.kind !== 'Status' || parsed.apiVersion !== 'v1') return undefined;
  return { message: String(parsed.message ?? ''), reason: parsed.reason, code: parsed.code, details: parsed.details };
}

/** The staging server's {error, message} answer, or undefined. */
export function parseStagingServerError(body: string): { error: string; message: string } | undefined {
  const parsed = parseJson(body);
  return typeof parsed?.error === 'string' ? { error: parsed.error, message: String(parsed.message ?? '') } : undefined;
}

/** The RBAC a user needs to stage, as one phrase. */
export function requiredPermissions(target: StageTarget): string {
  return (
    `in namespace "${target.namespace}": get and update on services/proxy with resourceNames ["${serviceProxyResourceName(target.service)}"], ` +
    `and get on secrets with resourceNames ["${target.secret}"]`
  );
}

/** What to ask for when RBAC refuses: the permissions, and the Role that grants them. */
function missingPermissions(target: StageTarget): string {
  return (
    `To stage files you need, ${requiredPermissions(target)}. A StagingServer named "${target.service}" renders them as the Role ` +
    `"${uploaderRoleName(target.service)}": ask to be listed in its uploaders, or for a RoleBinding to that Role ` +
    `(kubectl -n ${target.namespace} create rolebinding <name> --role=${uploaderRoleName(target.service)} --user=<you>).`
  );
}

/** Why reading the tokens Secret failed. */
export function explainSecretAnswer(target: StageTarget, answer: HttpAnswer): StageError {
  const status = parseKubernetesStatus(answer.body);
  const detail = status?.message || `HTTP ${answer.status}`;
  const secret = `Secret "${target.secret}" in namespace "${target.namespace}"`;
  switch (answer.status) {
    case 401:
      return unauthenticated(detail);
    case 403:
      return new StageError(`you may not read the staging server's upload token: ${detail}.\n${missingPermissions(target)}`, 'run');
    case 404:
      return new StageError(
        `there is no ${secret} (${detail}): is the staging server deployed there? ` +
          'Name its namespace with --namespace, its Service with --service and, if it is not "<service>-tokens", its Secret with --secret.',
        'run',
      );
    default:
      return new StageError(`reading the ${secret} failed: ${detail}`, 'run');
  }
}

/** The Secret's upload token, or why it has none. */
export function uploadTokenOfSecret(target: StageTarget, body: string): string {
  const secret = parseJson(body);
  const encoded = secret?.data?.[UPLOAD_TOKEN_KEY];
  const token = typeof encoded === 'string' ? Buffer.from(encoded, 'base64').toString('utf8').trim() : '';
  if (!token) {
    throw new StageError(
      `the Secret "${target.secret}" in namespace "${target.namespace}" has no ${UPLOAD_TOKEN_KEY}: ` +
        'the staging server fills it in when it starts; is the server running?',
      'run',
    );
  }
  return token;
}

/**
 * Why a request through the service proxy failed: `operation` is "check" (HEAD) or "upload" (PUT),
 * `file` and `size` the file it was about.
 */
export function explainProxyAnswer(target: StageTarget, operation: 'check' | 'upload', answer: HttpAnswer, file: { path: string; size: number }): StageError {
  const kube = parseKubernetesStatus(answer.body);
  if (kube) return explainApiServerStatus(target, operation, answer.status, kube);
  const server = parseStagingServerError(answer.body);
  const detail = server?.message || answer.body.trim().slice(0, 300) || `HTTP ${answer.status}`;
  const tokenSource = `the ${UPLOAD_TOKEN_KEY} of Secret "${target.secret}"`;
  switch (answer.status) {
    case 400:
      return new StageError(
        `the staging server refused ${file.path}: ${detail}. ` +
          (server?.error === 'digest_mismatch' ? 'The file changed while it was being staged; stage it again once it no longer changes.' : ''),
        'file',
      );
    case 401:
      return new StageError(
        `the staging server did not accept ${tokenSource} (${detail}): the token in the Secret is not the one the server uses. ` +
          `Was the Secret changed and the server has not read it again yet? (A proxy that drops the ${STAGING_TOKEN_HEADER} header has the same effect.)`,
        'run',
      );
    case 403:
      return new StageError(`the staging server refused ${tokenSource} for uploads (${detail}): that key holds a token that may only read.`, 'run');
    case 413: {
      const limit = /limit of (\d+) bytes/.exec(detail)?.[1];
      return new StageError(
        `${file.path} (${formatBytes(file.size)}) is larger than the staging server accepts` +
          `${limit ? `: its limit is ${formatBytes(Number(limit))} (${limit} bytes)` : ` (${detail})`}. Raise the StagingServer's maxFileSize to stage it.`,
        'file',
      );
    }
    case 503:
      return new StageError(`the staging server is not ready (${detail}); try again shortly.`, 'run');
    case 507:
      return new StageError(`the staging server's volume is full (${detail}): enlarge its PersistentVolumeClaim or shorten its retention.`, 'run');
    default:
      return new StageError(`the staging server answered HTTP ${answer.status} to the ${operation} of ${file.path}: ${detail}`, answer.status >= 500 ? 'run' : 'file');
  }
}

function explainApiServerStatus(target: StageTarget, operation: 'check' | 'upload', httpStatus: number, status: KubernetesStatus): StageError {
  const service = `the Service "${target.service}" in namespace "${target.namespace}"`;
  switch (httpStatus) {
    case 401:
      return unauthenticated(status.message);
    case 403:
      return new StageError(
        `the API server forbids you to ${operation === 'check' ? 'query' : 'upload to'} the staging server through its service proxy: ${status.message}.\n` +
          missingPermissions(target),
        'run',
      );
    case 404:
      // The proxy answers "services ... not found" both when the Service and when its Endpoints are missing.
      return new StageError(
        `the API server finds no Service "${target.service}" with endpoints in namespace "${target.namespace}" (${status.message}): is the staging server deployed there? ` +
          'Name its namespace with --namespace and its Service with --service.',
        'run',
      );
    case 503:
      return new StageError(
        `the API server could not reach the staging server behind ${service}: ${status.message}.\n` +
          `Either no pod of it is ready (kubectl -n ${target.namespace} get pods,endpoints ${target.service}), or a NetworkPolicy ` +
          "keeps the API server out: the StagingServer's apiServerPeers must admit the address the API server connects from.",
        'run',
      );
    default:
      return new StageError(`the API server answered HTTP ${httpStatus} (${status.reason ?? 'error'}): ${status.message}`, 'run');
  }
}

function unauthenticated(detail: string): StageError {
  return new StageError(`the API server did not accept your credentials (${detail}): check the kubeconfig's user, or log in again.`, 'run');
}

/** A request that got no answer at all: the API server is unreachable, or the connection broke. */
export function explainNetworkError(server: URL, error: Error, doing: string): StageError {
  const code = (error as NodeJS.ErrnoException).code;
  const hint =
    code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT'
      ? ': is the cluster of your kubeconfig context reachable from here?'
      : code?.startsWith('ERR_TLS') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'
        ? ": the API server's certificate was not trusted; check the kubeconfig's certificate-authority"
        : '';
  return new StageError(`${doing} failed: no answer from the API server at ${server.origin} (${error.message})${hint}`, 'run');
}

function parseJson(body: string): any {
  try {
    return body ? JSON.parse(body) : undefined;
  } catch {
    return undefined;
  }
}
