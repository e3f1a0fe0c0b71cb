// The errors of `sparkplane stage`, from the answers the API server and the staging server really
// give (bodies as seen through kube-apiserver v1.36.3's service proxy).
import {
  explainNetworkError,
  explainProxyAnswer,
  explainSecretAnswer,
  parseKubernetesStatus,
  parseStagingServerError,
  requiredPermissions,
  StageError,
  uploadTokenOfSecret,
} from '../../lib/cli/stage-errors';

const target = { namespace: 'spark', service: 'staging-server', secret: 'staging-server-tokens' };
const file = { path: 'target/app.jar', size: 3 * 1024 * 1024 * 1024 };
const status = (code: number, reason: string, message: string, details: Record<string, string> = {}) =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code });
const serverError = (error: string, message: string) => JSON.stringify({ error, message });
const NEEDED =
  'To stage files you need, in namespace "spark": get and update on services/proxy with resourceNames ["staging-server:http"], and get on secrets with resourceNames ["staging-server-tokens"]. ' +
  'A StagingServer named "staging-server" renders them as the Role "staging-server-uploader": ask to be listed in its uploaders, or for a RoleBinding to that Role ' +
  '(kubectl -n spark create rolebinding <name> --role=staging-server-uploader --user=<you>).';

describe('the errors of sparkplane stage', () => {
  it('tells the API server\'s own answers (a v1 Status) from the staging server\'s', () => {
    expect(parseKubernetesStatus(status(404, 'NotFound', 'services "x" not found', { name: 'x', kind: 'services' }))).toEqual({
      message: 'services "x" not found', reason: 'NotFound', code: 404, details: { name: 'x', kind: 'services' },
    });
    expect(parseKubernetesStatus(serverError('too_large', 'big'))).toBeUndefined();
    expect(parseKubernetesStatus('<html>')).toBeUndefined();
    expect(parseKubernetesStatus('')).toBeUndefined();
    expect(parseStagingServerError(serverError('digest_mismatch', 'no'))).toEqual({ error: 'digest_mismatch', message: 'no' });
    expect(parseStagingServerError(status(403, 'Forbidden', 'x'))).toBeUndefined();
  });

  it('names the exact RBAC when the API server forbids the proxy, and stops the run', () => {
    const forbidden = status(403, 'Forbidden',
      'services "staging-server:http" is forbidden: User "system:serviceaccount:spark:ci" cannot update resource "services/proxy" in API group "" in the namespace "spark"',
      { name: 'staging-server:http', kind: 'services' });
    const error = explainProxyAnswer(target, 'upload', { status: 403, body: forbidden }, file);
    expect(error).toEqual(expect.objectContaining({ reach: 'run' }));
    expect(error.message).toBe(
      'the API server forbids you to upload to the staging server through its service proxy: services "staging-server:http" is forbidden: ' +
        'User "system:serviceaccount:spark:ci" cannot update resource "services/proxy" in API group "" in the namespace "spark".\n' + NEEDED,
    );
    expect(explainProxyAnswer(target, 'check', { status: 403, body: forbidden }, file).message).toMatch(/^the API server forbids you to query the staging server/);
    expect(requiredPermissions(target)).toContain('["staging-server:http"]');
  });

  it('names the exact RBAC when the tokens Secret may not be read', () => {
    const forbidden = status(403, 'Forbidden', 'secrets "staging-server-tokens" is forbidden: User "u" cannot get resource "secrets" in API group "" in the namespace "spark"');
    expect(explainSecretAnswer(target, { status: 403, body: forbidden }).message).toBe(
      `you may not read the staging server's upload token: secrets "staging-server-tokens" is forbidden: User "u" cannot get resource "secrets" in API group "" in the namespace "spark".\n${NEEDED}`,
    );
    expect(explainSecretAnswer(target, { status: 404, body: status(404, 'NotFound', 'secrets "staging-server-tokens" not found') }).message).toBe(
      'there is no Secret "staging-server-tokens" in namespace "spark" (secrets "staging-server-tokens" not found): is the staging server deployed there? ' +
        'Name its namespace with --namespace, its Service with --service and, if it is not "<service>-tokens", its Secret with --secret.',
    );
    expect(explainSecretAnswer(target, { status: 401, body: status(401, 'Unauthorized', 'Unauthorized') }).message).toBe(
      'the API server did not accept your credentials (Unauthorized): check the kubeconfig\'s user, or log in again.',
    );
  });

  it('points at readiness and the NetworkPolicy\'s apiServerPeers when the API server cannot reach the server', () => {
    for (const message of ['error trying to reach service: dial tcp 10.244.1.7:7080: i/o timeout', 'no endpoints available for service "staging-server"']) {
      const error = explainProxyAnswer(target, 'check', { status: 503, body: status(503, 'ServiceUnavailable', message) }, file);
      expect(error.reach).toBe('run');
      expect(error.message).toBe(
        `the API server could not reach the staging server behind the Service "staging-server" in namespace "spark": ${message}.\n` +
          'Either no pod of it is ready (kubectl -n spark get pods,endpoints staging-server), or a NetworkPolicy keeps the API server out: ' +
          "the StagingServer's apiServerPeers must admit the address the API server connects from.",
      );
    }
  });

  it('says the Service (or its Endpoints) is missing', () => {
    expect(explainProxyAnswer(target, 'upload', { status: 404, body: status(404, 'NotFound', 'services "staging-server" not found') }, file).message).toBe(
      'the API server finds no Service "staging-server" with endpoints in namespace "spark" (services "staging-server" not found): ' +
        'is the staging server deployed there? Name its namespace with --namespace and its Service with --service.',
    );
  });

  it('gives the server\'s limit for a file too large, and fails only that file', () => {
    const error = explainProxyAnswer(target, 'upload', { status: 413, body: serverError('too_large', 'the body (3221225472 bytes) is larger than the limit of 2147483648 bytes') }, file);
    expect(error).toEqual(expect.objectContaining({ reach: 'file' }));
    expect(error.message).toBe(
      "target/app.jar (3.0 GiB) is larger than the staging server accepts: its limit is 2.0 GiB (2147483648 bytes). Raise the StagingServer's maxFileSize to stage it.",
    );
    expect(explainProxyAnswer(target, 'upload', { status: 413, body: 'Request Entity Too Large' }, file).message).toBe(
      "target/app.jar (3.0 GiB) is larger than the staging server accepts (Request Entity Too Large). Raise the StagingServer's maxFileSize to stage it.",
    );
  });

  it('explains a digest mismatch as a file that changed, and fails only that file', () => {
    const error = explainProxyAnswer(target, 'upload', { status: 400, body: serverError('digest_mismatch', `the body's SHA-256 is ${'1'.repeat(64)}, not ${'2'.repeat(64)}`) }, file);
    expect(error.reach).toBe('file');
    expect(error.message).toBe(
      `the staging server refused target/app.jar: the body's SHA-256 is ${'1'.repeat(64)}, not ${'2'.repeat(64)}. The file changed while it was being staged; stage it again once it no longer changes.`,
    );
  });

  it('stops the run on a token the server does not accept, a read-only token, an unready server or a full volume', () => {
    const cases: Array<[number, string, RegExp]> = [
      [401, serverError('unauthorized', 'a valid token is required in the x-sparkplane-token header'), /^the staging server did not accept the upload-token of Secret "staging-server-tokens" \(a valid token/],
      [403, serverError('forbidden', 'the read token cannot upload: use the upload token'), /that key holds a token that may only read/],
      [503, serverError('not_ready', 'the server has not read its tokens yet: try again shortly'), /^the staging server is not ready \(the server has not read its tokens yet/],
      [507, serverError('insufficient_storage', 'the storage volume is full'), /enlarge its PersistentVolumeClaim/],
      [500, serverError('error', 'the upload could not be stored'), /^the staging server answered HTTP 500 to the upload of target\/app\.jar: the upload could not be stored$/],
    ];
    for (const [code, body, message] of cases) {
      const error = explainProxyAnswer(target, 'upload', { status: code, body }, file);
      expect(error).toBeInstanceOf(StageError);
      expect(error.reach).toBe('run');
      expect(error.message).toMatch(message);
    }
  });

  it('reads the upload token from the Secret, and says when it is not there yet', () => {
    const secret = (data: Record<string, string>) => JSON.stringify({ kind: 'Secret', data });
    expect(uploadTokenOfSecret(target, secret({ 'upload-token': Buffer.from('s3cret-token-0123456789\n').toString('base64') }))).toBe('s3cret-token-0123456789');
    expect(() => uploadTokenOfSecret(target, secret({ 'read-token': 'eA==' }))).toThrow(
      'the Secret "staging-server-tokens" in namespace "spark" has no upload-token: the staging server fills it in when it starts; is the server running?',
    );
  });

  it('says when the API server does not answer at all, with a hint by cause', () => {
    const server = new URL('https://api.example.com:6443');
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6443'), { code: 'ECONNREFUSED' });
    expect(explainNetworkError(server, refused, 'reading the upload token').message).toBe(
      'reading the upload token failed: no answer from the API server at https://api.example.com:6443 (connect ECONNREFUSED 10.0.0.1:6443): is the cluster of your kubeconfig context reachable from here?',
    );
    const untrusted = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(explainNetworkError(server, untrusted, 'x').message).toContain("the API server's certificate was not trusted");
  });
});
