// Bundles the `sparkplane` command (lib/cli) into dist/cli/sparkplane.js, the package's bin: one
// file with @kubernetes/client-node inside, as the image bundles its program, so the package needs
// no runtime dependency for it and runs on every Node it supports (client-node is ESM only, which a
// compiled require() could load only from Node 20.19 on). The same client, as functions, goes into
// dist/cli/sparkplane-stage-api.js for the Pulumi front end's StagedFiles provider, which require()s
// it during `pulumi up` (lib/pulumi/staged-files.ts).
import { build } from 'esbuild';
import { STAGE_API_BUNDLE } from '../../lib/cli/stage-api-bundle';
import { imageBundleOptions } from '../image/bundle';

const bundles: Array<[entry: string, outfile: string]> = [
  ['lib/cli/main.ts', 'dist/cli/sparkplane.js'],
  ['lib/cli/stage-api.ts', `dist/cli/${STAGE_API_BUNDLE}`],
];

void Promise.all(bundles.map(([entry, outfile]) => build({ ...imageBundleOptions(entry, 'node20'), outfile }))).catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
