// Small async helpers of the e2e suite: run a command without blocking the event loop (the process
// kubelet shares the test's process), poll until something holds, and a file lock between processes.
import { spawn, type SpawnOptions } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** The outcome of one command. `code` is null when it was killed by a signal (or could not start). */
export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the command could not be started at all (ENOENT for a missing binary). */
  readonly error?: NodeJS.ErrnoException;
  readonly timedOut: boolean;
}

export interface RunOptions extends Pick<SpawnOptions, 'cwd' | 'env'> {
  /** Kill the command (SIGKILL) after this long. @default 10 minutes */
  readonly timeoutMs?: number;
  /** Written to stdin. */
  readonly input?: string;
  /** Called with each chunk of output, e.g. to show progress. */
  readonly onOutput?: (chunk: string) => void;
}

const MAX_CAPTURE = 4 * 1024 * 1024;

/** Runs a command to its end, capturing its output (the last 4 MiB of each stream). Never throws. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const keep = (acc: string, chunk: string) => (acc.length + chunk.length > MAX_CAPTURE ? (acc + chunk).slice(-MAX_CAPTURE) : acc + chunk);
    child.stdout!.setEncoding('utf8').on('data', (c: string) => { stdout = keep(stdout, c); options.onOutput?.(c); });
    child.stderr!.setEncoding('utf8').on('data', (c: string) => { stderr = keep(stderr, c); options.onOutput?.(c); });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, options.timeoutMs ?? 600_000);
    const finish = (result: Omit<RunResult, 'stdout' | 'stderr' | 'timedOut'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, stdout, stderr, timedOut });
    };
    child.on('error', (error: NodeJS.ErrnoException) => finish({ code: null, signal: null, error }));
    child.on('close', (code, signal) => finish({ code, signal }));
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(options.input ?? '');
  });
}

/** The last `lines` lines of a text, for error messages. */
export function tail(text: string, lines = 25): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The integration suite's poller (it accepts async probes too), under the name the e2e support uses. */
export { waitFor as waitUntil } from '../../integration/support/kube';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fn` holding the lock directory `lockDir` (mkdir is atomic), so that two test runs (or two
 * checkouts sharing a cache) do not install into the same folder at once. A lock whose owner
 * process is gone is taken over.
 */
export async function withLock<T>(lockDir: string, what: string, fn: () => Promise<T>, timeoutMs = 30 * 60_000): Promise<T> {
  fs.mkdirSync(path.dirname(lockDir), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'owner'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let owner = NaN;
      try {
        owner = Number(fs.readFileSync(path.join(lockDir, 'owner'), 'utf8'));
      } catch {
        // Being created right now, or left empty by a crash: judged by its age below.
      }
      const age = Date.now() - (fs.statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if ((Number.isInteger(owner) && owner > 0 && !pidAlive(owner)) || (!Number.isInteger(owner) && age > 10_000)) {
        fs.rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for the lock ${lockDir} (held by pid ${owner}) for ${what}`);
      if (!told) {
        process.stderr.write(`[e2e] waiting for pid ${owner}, which holds ${lockDir} (${what})\n`);
        told = true;
      }
      await sleep(1000);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}
