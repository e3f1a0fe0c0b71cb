// How the image's program is bundled: one CommonJS file for Node, with every dependency inside.
// scripts/image/build-oci uses it for the image; tests that run the program on the host's Node can
// use the same options with their own target.
import * as path from 'path';
import type { BuildOptions } from 'esbuild';

const root = path.resolve(__dirname, '..', '..');

/**
 * esbuild options for the image's bundle of `entry` (absolute, or relative to the repository).
 * `target` is the Node the bundle runs on: `node24` in the image.
 */
export function imageBundleOptions(entry: string, target = 'node24'): BuildOptions {
  return {
    entryPoints: [path.resolve(root, entry)],
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    target,
    format: 'cjs',
    minify: true,
    // Function and class names survive minifying: stack traces and logged error names stay readable.
    keepNames: true,
    legalComments: 'eof',
    logLevel: 'warning',
    alias: {
      // node-fetch 2 (in @kubernetes/client-node 1.x) reaches tr46, which requires Node's deprecated
      // `punycode` module: Node >= 21 prints DEP0040 at start. The npm package is the same code.
      punycode: require.resolve('punycode/', { paths: [root] }),
    },
  };
}
