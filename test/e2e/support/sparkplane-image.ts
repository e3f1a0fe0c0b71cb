// The sparkplane image for the process kubelet: the bridge jar and the OCI image built exactly as
// `npm run image` builds them (scripts/allocator-bridge/build, scripts/image/build-oci; both cached),
// then run from the image's unpacked root filesystem with its own Node and libraries.
import * as fs from 'fs';
import * as path from 'path';
import type { RootfsImage } from './process-kubelet';
import { REPO_ROOT, run, tail } from './run';

/** The name e2e specs give the image (`allocator.image`). */
export const SPARKPLANE_E2E_IMAGE = 'sparkplane:e2e';
const OUT = path.join(REPO_ROOT, '.cache', 'image', 'e2e');

/** Builds (or reuses) the bridge jar and the image; resolves to the image for the process kubelet. */
export async function ensureSparkplaneImage(): Promise<RootfsImage> {
  for (const [script, args] of [
    [path.join(REPO_ROOT, 'scripts', 'allocator-bridge', 'build'), []],
    [path.join(REPO_ROOT, 'scripts', 'image', 'build-oci'), ['--out', OUT]],
  ] as const) {
    const result = await run(script, [...args], { cwd: REPO_ROOT });
    if (result.code !== 0) throw new Error(`${path.relative(REPO_ROOT, script)} failed:\n${tail(result.stdout + result.stderr, 40)}`);
  }
  const build = JSON.parse(fs.readFileSync(path.join(OUT, 'build.json'), 'utf8'));
  return { rootfs: path.join(REPO_ROOT, build.rootfs), config: build.config };
}
