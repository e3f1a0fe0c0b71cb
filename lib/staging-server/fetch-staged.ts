// The driver's init container (`sparkplane fetch-staged`): downloads the application's staged files
// from the staging server with the read token, checks each one's SHA-256, and renames it into the
// emptyDir the Spark container mounts, so Spark only ever sees complete, verified files
// (docs/staging-server-research.md §3 and §7.1). Transient failures are retried for a bounded time.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as path from 'path';
import { Transform } from 'stream';
import { pipeline } from 'stream/promises';
import { jsonLogger, type Logger } from '../allocator/logger';
import { sparkDurationMs } from '../core/quantity';
import { stagedFileNameProblem } from '../core/staging/protocol';
import { blobPath, SHA256_HEX, STAGED_FILES_DIR, STAGING_TOKEN_HEADER } from '../core/staging/protocol';
import { fsyncDirectory, sha256OfFile } from './durable-files';

/** A file to fetch: its digest and its name in the target folder. */
export interface StagedFile {
  readonly sha256: string;
  readonly name: string;
}

/** What fetchStaged needs. */
export interface FetchStagedOptions {
  /** The staging server's base URL, e.g. http://staging.spark.svc:7080. */
  readonly server: string;
  /** The read token (or the upload token). */
  readonly token: string;
  /** The folder the files go to. */
  readonly dir: string;
  readonly files: readonly StagedFile[];
  /** How long failures that may pass (network errors, 5xx) are retried, in all, ms. Not a limit on a download in progress. */
  readonly retryForMs: number;
  /**
   * A download with no data for this long is dropped and retried, ms.
   * @default 30 s
   */
  readonly idleTimeoutMs?: number;
  /**
   * First pause between two attempts, doubled after each failure up to 5 s, ms.
   * @default 250 ms
   */
  readonly firstRetryDelayMs?: number;
  readonly log?: Logger;
}

/** What fetchStaged did. */
export interface FetchStagedReport {
  /** Names downloaded. */
  readonly fetched: readonly string[];
  /** Names already present with the right digest (a restarted init container). */
  readonly present: readonly string[];
}

/** A failure of fetch-staged, with what to do about it. */
export { stagedFileNameProblem };

export class FetchStagedError extends Error {
  constructor(message: string, readonly retryable = false) {
    super(message);
    this.name = 'FetchStagedError';
  }
}

/** Failures of the local folder, which waiting does not mend. */
const LOCAL_FAILURES = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EISDIR']);

/** The default of --timeout. */
export const DEFAULT_FETCH_RETRY_FOR = '2min';

const USAGE = `usage: sparkplane fetch-staged --server <url> --token-file <file> [--dir <dir>] [--timeout <duration>] <sha256>=<name>...
  --server      the staging server, e.g. http://staging.spark.svc:7080
  --token-file  a file holding the read token
  --dir         the folder the files go to (default ${STAGED_FILES_DIR})
  --timeout     how long to retry network errors and 5xx answers, a Spark duration (default ${DEFAULT_FETCH_RETRY_FOR})`;


/** The options of a command line; throws FetchStagedError (with the usage) when it is wrong. */
export function parseFetchStagedArgs(args: readonly string[]): Omit<FetchStagedOptions, 'token'> & { readonly tokenFile: string } {
  const problems: string[] = [];
  const flags: Record<string, string> = {};
  const files: StagedFile[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const flag = /^--(server|token-file|dir|timeout)(?:=(.*))?$/s.exec(arg);
    if (flag) {
      const value = flag[2] ?? args[++i];
      if (value === undefined) problems.push(`--${flag[1]} needs a value`);
      else flags[flag[1]] = value;
      continue;
    }
    if (arg.startsWith('--')) {
      problems.push(`unknown option ${JSON.stringify(arg)}`);
      continue;
    }
    const separator = arg.indexOf('=');
    const sha256 = separator < 0 ? arg : arg.slice(0, separator);
    const name = separator < 0 ? '' : arg.slice(separator + 1);
    if (!SHA256_HEX.test(sha256) || separator < 0) {
      problems.push(`${JSON.stringify(arg)} is not <sha256>=<name> (64 lower-case hex characters, "=", a file name)`);
      continue;
    }
    const problem = stagedFileNameProblem(name);
    if (problem) problems.push(`the name in ${JSON.stringify(arg)} ${problem}`);
    else if (files.some((file) => file.name === name)) problems.push(`the name ${JSON.stringify(name)} is given twice`);
    else files.push({ sha256, name });
  }
  const server = flags.server ?? '';
  if (!server) problems.push('--server is required');
  else if (!/^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(server)) problems.push(`--server ${JSON.stringify(server)} is not an http:// or https:// URL without query`);
  if (!flags['token-file']) problems.push('--token-file is required');
  const timeout = flags.timeout ?? DEFAULT_FETCH_RETRY_FOR;
  const retryForMs = sparkDurationMs(timeout);
  if (retryForMs === undefined) problems.push(`--timeout ${JSON.stringify(timeout)} is not a Spark duration such as "2min" or "30s"`);
  if (files.length === 0 && args.length > 0) problems.push('no files: give at least one <sha256>=<name>');
  if (problems.length || args.length === 0) throw new FetchStagedError(`${problems.map((p) => `fetch-staged: ${p}\n`).join('')}${USAGE}`);
  return { server, tokenFile: flags['token-file'], dir: flags.dir ?? STAGED_FILES_DIR, files, retryForMs: retryForMs! };
}

/** `sparkplane fetch-staged <args>`: 0 when every file is in place, 1 when one could not be fetched, 2 for a wrong command line. */
export async function runFetchStaged(args: readonly string[], log: Logger = jsonLogger('info', 'fetch-staged')): Promise<number> {
  let options: ReturnType<typeof parseFetchStagedArgs>;
  try {
    options = parseFetchStagedArgs(args);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  try {
    const started = Date.now();
    const token = await readTokenFile(options.tokenFile, started + options.retryForMs, log);
    const remainingMs = Math.max(0, options.retryForMs - (Date.now() - started));
    const report = await fetchStaged({ ...options, retryForMs: remainingMs, token, log });
    log.info('staged files in place', { dir: options.dir, fetched: report.fetched.length, present: report.present.length });
    return 0;
  } catch (error) {
    log.error('fetching the staged files failed', { message: error instanceof Error ? error.message : String(error) });
    return 1;
  }
}

/**
 * The token in `file`, trimmed. An absent or empty file is read again until `deadline`: a pod that
 * starts with the server's first deployment may mount the Secret before the server has filled it
 * (the kubelet refreshes Secret volumes within a minute or two).
 */
async function readTokenFile(file: string, deadline: number, log: Logger): Promise<string> {
  for (let delay = 500; ; delay = Math.min(delay * 2, 5000)) {
    let problem: string;
    try {
      const token = (await fs.promises.readFile(file, 'utf8')).trim();
      if (token) return token;
      problem = `the token file ${file} is empty`;
    } catch (error) {
      problem = `cannot read the token file ${file}: ${(error as Error).message}`;
    }
    if (Date.now() + delay > deadline) throw new FetchStagedError(`${problem}: is the tokens Secret mounted, and has the staging server filled it (it does when it starts)?`);
    log.warn('waiting for the token file', { message: problem, retryInMs: delay });
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/**
 * Puts every file in `options.dir`, verified: skips one already there with the right digest, else
 * downloads it to `.<name>.part`, checks its SHA-256, fsyncs, makes it 0644 (Spark runs as another
 * user) and renames it into place. Rejects with FetchStagedError at the first file that cannot be fetched.
 */
export async function fetchStaged(options: FetchStagedOptions): Promise<FetchStagedReport> {
  const log = options.log ?? jsonLogger('info', 'fetch-staged');
  const fetched: string[] = [];
  const present: string[] = [];
  for (const file of options.files) {
    if (!SHA256_HEX.test(file.sha256)) throw new FetchStagedError(`${JSON.stringify(file.sha256)} is not a SHA-256 digest`);
    const problem = stagedFileNameProblem(file.name);
    if (problem) throw new FetchStagedError(`the file name ${JSON.stringify(file.name)} ${problem}`);
  }
  await fs.promises.mkdir(options.dir, { recursive: true });
  for (const file of options.files) {
    const target = path.join(options.dir, file.name);
    if ((await sha256OfFile(target)) === file.sha256) {
      present.push(file.name);
      log.info('staged file already present', { name: file.name, sha256: file.sha256 });
      continue;
    }
    let delay = options.firstRetryDelayMs ?? 250;
    // Each file has the whole retry window: a long download of one never eats the next one's.
    const deadline = Date.now() + options.retryForMs;
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      try {
        const bytes = await download(options, file, target);
        fetched.push(file.name);
        log.info('staged file fetched', { name: file.name, sha256: file.sha256, bytes, durationMs: Date.now() - started, attempt });
        break;
      } catch (error) {
        const failure = error instanceof FetchStagedError ? error : new FetchStagedError(`${file.name}: ${(error as Error).message}`, !LOCAL_FAILURES.has((error as NodeJS.ErrnoException).code ?? ''));
        if (!failure.retryable) throw failure;
        if (Date.now() + delay > deadline) throw new FetchStagedError(`${failure.message}; gave up after ${attempt} attempts in ${Math.round(options.retryForMs / 1000)} s (--timeout)`);
        log.warn('fetching a staged file failed, retrying', { name: file.name, attempt, retryInMs: delay, message: failure.message });
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 5000);
      }
    }
  }
  return { fetched, present };
}

/** One attempt: GET the blob into `.<name>.part`, verify, rename. Resolves to the bytes written. */
async function download(options: FetchStagedOptions, file: StagedFile, target: string): Promise<number> {
  const url = new URL(options.server.replace(/\/+$/, '') + blobPath(file.sha256));
  const partial = path.join(options.dir, `.${file.name}.part`);
  const response = await get(url, options.token, options.idleTimeoutMs ?? 30_000);
  const status = response.statusCode ?? 0;
  if (status !== 200) {
    const detail = await bodyExcerpt(response);
    const what = `${file.name} (${file.sha256}): the staging server answered ${status}${detail ? ` (${detail})` : ''}`;
    if (status >= 500 || status === 429 || status === 408) throw new FetchStagedError(what, true);
    if (status === 401 || status === 403) throw new FetchStagedError(`${what}: the read token was refused; check the tokens Secret mounted at --token-file (a rotated token reaches a pod only when it restarts)`);
    if (status === 404) throw new FetchStagedError(`${what}: the server has no such file; stage it again (\`sparkplane stage\`, or \`pulumi up\`) — it may have outlived the server's time to live`);
    throw new FetchStagedError(what);
  }
  const expected = response.headers['content-length'] === undefined ? undefined : Number(response.headers['content-length']);
  const hash = createHash('sha256');
  let size = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(response, hasher, fs.createWriteStream(partial, { mode: 0o644 }));
    if (expected !== undefined && size !== expected) throw new FetchStagedError(`${file.name}: the download stopped after ${size} of ${expected} bytes`, true);
    const actual = hash.digest('hex');
    if (actual !== file.sha256) throw new FetchStagedError(`${file.name}: the downloaded file's SHA-256 is ${actual}, not ${file.sha256}: the staging server's copy is damaged; stage the file again`);
    const handle = await fs.promises.open(partial, 'r+');
    try {
      await handle.sync();
      await handle.chmod(0o644);
    } finally {
      await handle.close();
    }
    await fs.promises.rename(partial, target);
    await fsyncDirectory(options.dir);
    return size;
  } finally {
    await fs.promises.rm(partial, { force: true });
  }
}

function get(url: URL, token: string, idleTimeoutMs: number): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const request = client.get(url, { headers: { [STAGING_TOKEN_HEADER]: token, 'Accept-Encoding': 'identity' }, agent: false }, resolve);
    request.setTimeout(idleTimeoutMs, () => request.destroy(new Error(`no data from ${url.origin} for ${idleTimeoutMs / 1000} s`)));
    request.on('error', reject);
  });
}

async function bodyExcerpt(response: http.IncomingMessage): Promise<string> {
  let text = '';
  try {
    for await (const chunk of response) {
      if (text.length < 500) text += String(chunk);
    }
  } catch {
    // The excerpt is for the message only.
  }
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // Not JSON: the text itself.
  }
  return text.trim().slice(0, 200);
}
