// The file name, in dist/cli, of stage-api.ts bundled with @kubernetes/client-node inside:
// scripts/cli/bundle.ts writes it, and the Pulumi front end's StagedFiles provider require()s it at
// `pulumi up`. A module of its own, so the front end can import the name without loading the client.
export const STAGE_API_BUNDLE = 'sparkplane-stage-api.js';
