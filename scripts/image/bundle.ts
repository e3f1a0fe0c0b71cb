// How the image's program is bundled: one CommonJS file for Node, with every dependency inside.
// scripts/image/build-oci uses it for the image; tests that run the program on the host's Node can
// use the same options with their own target.
import * as fs from 'fs';
import * as path from 'path';
import type { BuildOptions, Plugin } from 'esbuild';

/**
 * @kubernetes/client-node 1.x declares no `sideEffects`, so esbuild keeps every module it reaches:
 * its KubeConfig imports the generated API index, and with it a thousand model classes the sidecar
 * never uses (about 30 MB of resident memory at start, measured on Node 20 and 24). Its modules only
 * define classes and functions at load, so they are marked side-effect free and the unused ones go.
 */
const clientNodeSideEffectFree: Plugin = {
  name: 'client-node-side-effect-free',
  setup(build) {
    // Its modules import each other by relative paths with their extension ("./gen/index.js"), so
    // the path is the file: resolving it here is cheap (esbuild's build.resolve per import took 10 s).
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (!args.importer.includes(`${path.sep}@kubernetes${path.sep}client-node${path.sep}`)) return undefined;
      const file = path.join(args.resolveDir, args.path);
      return fs.existsSync(file) && fs.statSync(file).isFile() ? { path: file, sideEffects: false } : undefined;
    });
  },
};

const root = path.resolve(__dirname, '..', '..');

/**
 * Node flags of the image's entrypoint. V8 sizes its heap for throughput by default; the sidecar holds
 * little (about 12 MiB of live heap at 1,000 executors), so a 1 MiB young generation and a 64 MiB
 * old-space cap keep its resident memory near the floor (bench:allocator: 129 MiB peak without them,
 * 79 MiB with them, Node 20). 64 MiB stays well inside the rendered 128Mi memory limit.
 */
export const IMAGE_NODE_FLAGS = ['--max-semi-space-size=1', '--max-old-space-size=64'] as const;

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
    plugins: [clientNodeSideEffectFree],
    alias: {
      // node-fetch 2 (in @kubernetes/client-node 1.x) reaches tr46, which requires Node's deprecated
      // `punycode` module: Node >= 21 prints DEP0040 at start. The npm package is the same code.
      punycode: require.resolve('punycode/', { paths: [root] }),
    },
  };
}
