#!/usr/bin/env node
// The `sparkplane` command a user runs (`npx sparkplane stage <files…>`): parses the command line,
// checks the files before touching the cluster, loads the kubeconfig and runs the command.
// Exit status: 0 success, 1 failure, 2 usage error (nothing was sent).
import { version } from '../../package.json';
import { parseCommandLine } from './arguments';
import { ApiServerClient } from './api-server-client';
import { loadKubeconfig } from './kubeconfig';
import { checkLocalFiles } from './local-files';
import { runStage } from './stage';

async function main(argv: readonly string[]): Promise<number> {
  const commandLine = parseCommandLine(argv);
  switch (commandLine.command) {
    case 'help':
      process.stdout.write(`${commandLine.text}\n`);
      return 0;
    case 'version':
      process.stdout.write(`sparkplane ${version}\n`);
      return 0;
    case 'usage-error':
      process.stderr.write(`sparkplane: ${commandLine.message}\n`);
      return 2;
    case 'stage':
      break;
  }
  const options = commandLine.options;
  const { files, problems } = await checkLocalFiles(options.files);
  if (problems.length > 0) {
    process.stderr.write(`sparkplane stage: nothing staged:\n${problems.map((p) => `  ${p}\n`).join('')}`);
    return 2;
  }
  let kubeconfig;
  try {
    kubeconfig = loadKubeconfig({ file: options.kubeconfig, context: options.context });
  } catch (error) {
    process.stderr.write(`sparkplane stage: ${(error as Error).message}\n`);
    return 1;
  }
  const namespace = options.namespace ?? kubeconfig.namespace ?? 'default';
  return runStage(
    files,
    { namespace, service: options.service, secret: options.secret },
    { json: options.json, quiet: options.quiet },
    {
      client: new ApiServerClient(kubeconfig.connection),
      stdout: process.stdout,
      stderr: process.stderr,
      userAgent: `sparkplane-cli/${version} node/${process.versions.node}`,
    },
  );
}

// Exits once stdout is flushed, even if a stray handle would keep Node running.
main(process.argv.slice(2)).then(
  (code) => process.stdout.write('', () => process.exit(code)),
  (error: unknown) => {
    process.stderr.write(`sparkplane: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
