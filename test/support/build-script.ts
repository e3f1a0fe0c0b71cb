// The repository's build scripts for test tools (scripts/*/build): each builds once, caches, and
// prints what the tests need on its last line of output.
import { spawnSync } from 'child_process';
import * as path from 'path';
import { REPO_ROOT } from './image-program';

/** Runs `scripts/<name>/build` and returns its last line of output; throws with its stderr when it fails. */
export function runBuildScript(name: string, timeoutMs: number): string {
  const build = spawnSync(path.join(REPO_ROOT, 'scripts', name, 'build'), [], { encoding: 'utf8', timeout: timeoutMs });
  if (build.status !== 0) throw new Error(`scripts/${name}/build failed:\n${build.stderr}`);
  return build.stdout.trim().split('\n').pop()!;
}
