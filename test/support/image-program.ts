// The image's program (lib/image/main.ts) bundled as the image bundles it (scripts/image/bundle.ts), so tests and benchmarks run exactly the entrypoint the image runs, as a process.
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { build } from 'esbuild';
import { IMAGE_NODE_FLAGS, imageBundleOptions } from '../../scripts/image/bundle';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const IMAGE_PROGRAM_ENTRY = path.join(REPO_ROOT, 'lib', 'image', 'main.ts');
export const IMAGE_PROGRAM_BUNDLE = path.join(REPO_ROOT, '.cache', 'image-program', 'sparkplane.js');

/** Bundles the image's program (about a second) and returns the bundle's path. */
export async function bundleImageProgram(outfile = IMAGE_PROGRAM_BUNDLE): Promise<string> {
  fs.mkdirSync(path.dirname(outfile), { recursive: true });
  // The image's own bundle options, for the Node that runs the tests.
  await build({ ...imageBundleOptions(IMAGE_PROGRAM_ENTRY, `node${process.versions.node.split('.')[0]}`), outfile });
  return outfile;
}

/** A running process of the bundled program, with its JSON log lines. */
export class ImageProgramProcess {
  readonly logs: Array<Record<string, unknown>> = [];
  readonly stderr: string[] = [];
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(bundle: string, args: readonly string[], env: NodeJS.ProcessEnv) {
    // Node runs the bundle with the image entrypoint's flags.
    this.child = spawn(process.execPath, [...IMAGE_NODE_FLAGS, bundle, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let buffer = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        try {
          this.logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.logs.push({ unparsed: line });
        }
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.stderr.push(chunk));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** The first log line with this message, once it appears. */
  async waitForLog(msg: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logs.find((line) => line.msg === msg);
      if (found) return found;
      if (this.child.exitCode !== null) throw new Error(`the program exited (${this.child.exitCode}) before logging "${msg}": ${this.stderr.join('')}`);
      if (Date.now() > deadline) throw new Error(`no "${msg}" log line in ${timeoutMs} ms; stderr: ${this.stderr.join('')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill(signal);
    return this.exited;
  }
}
