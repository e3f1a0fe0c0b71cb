// `sparkplane stage`: for each file, hash it, ask the staging server (HEAD, through the API server's
// service proxy) whether it holds that digest, upload it (PUT) when not, and report where the
// cluster fetches it. The Kubernetes connection, the streams and the clock come from the caller, so
// the whole flow runs in unit tests against a local HTTP server.
import { STAGING_TOKEN_HEADER } from '../core/staging/protocol';
import { ApiServerClient, FileReadError, NoAnswerError, type ApiAnswer, type FileBody } from './api-server-client';
import { sha256OfFile, type LocalFile } from './local-files';
import { PROGRESS_THRESHOLD_BYTES, ProgressReporter, progressMode, type ProgressSink } from './progress';
import { formatJsonReport, formatStagedFile, formatSummary, formatUnstagedFile, type StagedFile } from './report';
import { explainNetworkError, explainProxyAnswer, explainSecretAnswer, StageError, uploadTokenOfSecret, type StageTarget } from './stage-errors';
import { inClusterBlobUrl, secretPath, serviceProxyBlobPath } from './staging-endpoint';

/** How the run reports. */
export interface StageOutputOptions {
  readonly json: boolean;
  readonly quiet: boolean;
}

/** What a run talks to and writes on. */
export interface StageEnvironment {
  readonly client: ApiServerClient;
  readonly stdout: { write(text: string): void };
  /** Progress, failures and the summary; a terminal gets a progress bar. */
  readonly stderr: ProgressSink & { readonly isTTY?: boolean };
  /** Sent as User-Agent: the staging server logs it with each upload. */
  readonly userAgent?: string;
  readonly now?: () => number;
}

/** Stages `files` (already checked to be readable regular files); resolves to the exit code: 0 when all are staged. */
export async function runStage(files: readonly LocalFile[], target: StageTarget, output: StageOutputOptions, env: StageEnvironment): Promise<number> {
  const now = env.now ?? Date.now;
  const progress = new ProgressReporter(env.stderr, progressMode({ quiet: output.quiet, isTTY: env.stderr.isTTY === true }), { now });
  const results: StagedFile[] = [];
  let uploadMs = 0;
  // A failure that stops the run is printed once, at the end; one that fails a file, at once.
  const report = (staged: StagedFile, printed = true) => {
    results.push(staged);
    if (staged.status === 'failed') {
      if (printed) env.stderr.write(formatUnstagedFile(staged));
    } else if (staged.status !== 'not-attempted' && !output.json && !output.quiet) {
      env.stdout.write(formatStagedFile(staged));
    }
  };

  const stager = new FileStager(env, target, progress, now);
  let fatal: StageError | undefined;
  try {
    await stager.readUploadToken();
  } catch (error) {
    fatal = asStageError(error, env.client.server, 'reading the upload token');
  }
  for (const file of files) {
    if (fatal) {
      report({ file: file.path, size: file.size, status: 'not-attempted' });
      continue;
    }
    let sha256: string | undefined;
    try {
      sha256 = await stager.hash(file);
      const outcome = await stager.stage(file, sha256);
      if (outcome.uploadMs !== undefined) uploadMs += outcome.uploadMs;
      report({ file: file.path, size: file.size, sha256, status: outcome.status, url: inClusterBlobUrl(target, sha256), uploadMs: outcome.uploadMs });
    } catch (error) {
      const failure = asStageError(error, env.client.server, `staging ${file.path}`);
      report({ file: file.path, size: file.size, sha256, status: 'failed', error: failure.message }, failure.reach === 'file');
      if (failure.reach === 'run') fatal = failure;
    }
  }

  if (fatal) env.stderr.write(`sparkplane stage: error: ${fatal.message}\n`);
  if (output.json) env.stdout.write(formatJsonReport(target, results));
  else if (!output.quiet) env.stderr.write(formatSummary(target, results, uploadMs));
  return results.every((r) => r.status === 'uploaded' || r.status === 'already-staged') ? 0 : 1;
}

/** The requests of one run, sharing the upload token. Also staging's programmatic form (stage-api.ts). */
export class FileStager {
  private token = '';

  constructor(
    private readonly env: StageEnvironment,
    private readonly target: StageTarget,
    private readonly progress: ProgressReporter,
    private readonly now: () => number,
  ) {}

  /** Reads the upload token from the tokens Secret, with the user's credentials. */
  async readUploadToken(): Promise<void> {
    const answer = await this.env.client.request('GET', secretPath(this.target.namespace, this.target.secret), this.headers({ Accept: 'application/json' }, false));
    if (answer.status !== 200) throw explainSecretAnswer(this.target, answer);
    this.token = uploadTokenOfSecret(this.target, answer.body);
  }

  /** The file's SHA-256, with a progress bar on a terminal for a large file. */
  async hash(file: LocalFile): Promise<string> {
    const task = file.size >= PROGRESS_THRESHOLD_BYTES ? this.progress.start('hashing', file.path, file.size, false) : undefined;
    try {
      const sha256 = await sha256OfFile(file.path, (bytes) => task?.update(bytes));
      task?.finish(true);
      return sha256;
    } catch (error) {
      task?.finish(false);
      throw new StageError(`reading ${file.path} failed: ${(error as Error).message}`, 'file');
    }
  }

  /** Whether the server holds the blob (HEAD), and how long the check's round trip took. */
  async check(file: LocalFile, sha256: string): Promise<{ staged: boolean; checkMs: number }> {
    const path = serviceProxyBlobPath(this.target, sha256);
    const checkStartedAt = this.now();
    const check = await this.env.client.request('HEAD', path, this.headers());
    const checkMs = this.now() - checkStartedAt;
    if (check.status === 200) return { staged: true, checkMs };
    // 404 is "not there", or "no such Service": the upload's answer then tells which.
    if (check.status !== 404) throw explainProxyAnswer(this.target, 'check', await this.diagnose(path, check), file);
    return { staged: false, checkMs };
  }

  /** Checks for the blob and uploads it when it is missing. */
  async stage(file: LocalFile, sha256: string): Promise<{ status: 'uploaded' | 'already-staged'; uploadMs?: number }> {
    const path = serviceProxyBlobPath(this.target, sha256);
    const { staged, checkMs } = await this.check(file, sha256);
    if (staged) return { status: 'already-staged' };

    const task = file.size >= PROGRESS_THRESHOLD_BYTES ? this.progress.start('uploading', file.path, file.size) : undefined;
    const startedAt = this.now();
    const body: FileBody = { path: file.path, size: file.size, onBytes: (bytes) => task?.update(bytes), refusalWindowMs: refusalWindowMs(file.size, checkMs) };
    let answer: ApiAnswer;
    try {
      answer = await this.env.client.request('PUT', path, this.headers(), body);
    } catch (error) {
      task?.finish(false);
      throw error;
    }
    const succeeded = answer.status === 201 || answer.status === 200;
    task?.finish(succeeded);
    if (!succeeded) throw explainProxyAnswer(this.target, 'upload', answer, file);
    // 200: someone uploaded the same bytes between the check and the upload.
    return answer.status === 201 ? { status: 'uploaded', uploadMs: this.now() - startedAt } : { status: 'already-staged' };
  }

  /**
   * An answer to HEAD has no body, so it cannot say whether the API server (RBAC, an unreachable
   * pod) or the staging server (a token) refused: a GET of the same path gets the explanation.
   */
  private async diagnose(path: string, headAnswer: ApiAnswer): Promise<ApiAnswer> {
    try {
      const answer = await this.env.client.request('GET', path, this.headers());
      return answer.status === headAnswer.status ? answer : headAnswer;
    } catch {
      return headAnswer;
    }
  }

  private headers(extra: Record<string, string> = {}, withToken = true): Record<string, string> {
    return {
      ...(withToken ? { [STAGING_TOKEN_HEADER]: this.token } : {}),
      ...(this.env.userAgent ? { 'User-Agent': this.env.userAgent } : {}),
      ...extra,
    };
  }
}

/** Bodies up to this size reach the staging server whole before it could refuse them: no wait. */
const SMALL_BODY_BYTES = 256 * 1024;

/**
 * How long an upload of `size` bytes waits after its headers for a refusal (token, size limit,
 * RBAC): twice the check's round trip through the same proxy, within [250 ms, 2 s]. The API server
 * answers "100 Continue" itself, so Expect cannot do this.
 */
export function refusalWindowMs(size: number, checkMs: number): number {
  return size <= SMALL_BODY_BYTES ? 0 : Math.min(2000, Math.max(250, 2 * checkMs));
}

/** Any failure of a request as a StageError, `doing` naming what failed. */
export function asStageError(error: unknown, server: URL, doing: string): StageError {
  if (error instanceof StageError) return error;
  if (error instanceof FileReadError) return new StageError(error.message, 'file');
  if (error instanceof NoAnswerError) return explainNetworkError(server, error.cause, doing);
  return new StageError(`${doing} failed: ${error instanceof Error ? error.message : String(error)}`, 'run');
}
