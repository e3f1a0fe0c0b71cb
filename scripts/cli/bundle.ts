// Bundles the `sparkplane` command (lib/cli) into dist/cli/sparkplane.js, the package's bin: one
// file with @kubernetes/client-node inside, as the image bundles its program, so the package needs
// no runtime dependency for it and runs on every Node it supports (client-node is ESM only, which a
// compiled require() could load only from Node 20.19 on).
import { build } from 'esbuild';
import { imageBundleOptions } from '../image/bundle';

void build({ ...imageBundleOptions('lib/cli/main.ts', 'node20'), outfile: 'dist/cli/sparkplane.js' }).catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
