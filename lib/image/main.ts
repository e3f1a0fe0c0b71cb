// The entrypoint of the sparkplane image: one program, one subcommand per component that runs in
// the cluster. Bundled by esbuild into /opt/sparkplane/app/sparkplane.js (images/README.md).
import * as fs from 'fs';
import * as path from 'path';
import { ALLOCATOR_BRIDGE_IMAGE_DIR, ALLOCATOR_BRIDGE_JAR } from '../core/allocator/protocol';
import { EnvConfigError } from '../allocator/config';
import { runAllocatorSidecar } from '../allocator/sidecar';
import { runShuffleJanitor } from '../shuffle-janitor/program';
import { runFetchStaged } from '../staging-server/fetch-staged';
import { runStagingServer } from '../staging-server/program';
import { runZeppelinSettings } from '../zeppelin-settings/program';
import { runMetricsPush } from '../metrics-push/program';
import { version } from '../../package.json';

const USAGE = `usage: sparkplane <command>
  allocator               run the executor allocator sidecar (settings from SPARKPLANE_* variables)
  install-bridge <dir>    copy the allocator's JVM bridge jar into <dir> (an init container's job)
  shuffle-janitor         remove ended applications' shuffle files on this node and relay the shuffle
                          service's StatsD metrics (SPARKPLANE_JANITOR_* variables, NODE_NAME)
  staging-server          serve staged files by SHA-256 from a volume (SPARKPLANE_STAGING_* variables)
  fetch-staged --server <url> --token-file <file> [--dir <dir>] [--timeout <duration>] <sha256>=<name>...
                          download staged files into <dir>, verified (a driver's init container)
  metrics-push            push a driver's Spark metrics to a Pushgateway every interval, and Spark's
                          final report when stopped (SPARKPLANE_PUSH_* variables; a driver's sidecar)
  zeppelin-settings --seed <file> --dir <dir>
                          write the typed model's interpreter properties into Zeppelin's
                          interpreter.json (the Zeppelin server's init container)
  --version               print the version`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'allocator':
      return untilSignalled(await runAllocatorSidecar(process.env));
    case 'shuffle-janitor':
      return untilSignalled(await runShuffleJanitor(process.env));
    case 'staging-server':
      return untilSignalled(await runStagingServer(process.env));
    case 'metrics-push':
      return untilSignalled(await runMetricsPush(process.env));
    case 'fetch-staged':
      return runFetchStaged(args);
    case 'zeppelin-settings':
      return runZeppelinSettings(args);
    case 'install-bridge':
      return installBridge(args[0]);
    case '--version':
    case 'version':
      process.stdout.write(`sparkplane ${version}\n`);
      return 0;
    default:
      process.stderr.write(`${command === undefined ? '' : `unknown command ${JSON.stringify(command)}\n`}${USAGE}\n`);
      return 2;
  }
}

/** Runs until SIGTERM or SIGINT, then closes the component. */
async function untilSignalled(running: { close(): Promise<void> }): Promise<number> {
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve());
  });
  await running.close();
  return 0;
}

/** Copies the bridge jar into `target`, atomically: the driver never sees half a jar. */
function installBridge(target: string | undefined): number {
  if (!target) {
    process.stderr.write(`install-bridge needs a target folder, e.g. install-bridge /opt/sparkplane/driver-classpath\n`);
    return 2;
  }
  const source = process.env.SPARKPLANE_BRIDGE_JAR ?? path.join(ALLOCATOR_BRIDGE_IMAGE_DIR, ALLOCATOR_BRIDGE_JAR);
  const temporary = path.join(target, `.${ALLOCATOR_BRIDGE_JAR}.${process.pid}`);
  fs.copyFileSync(source, temporary);
  fs.renameSync(temporary, path.join(target, ALLOCATOR_BRIDGE_JAR));
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'info', component: 'install-bridge', msg: 'bridge jar installed', target })}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const configError = error instanceof EnvConfigError;
    const problems = configError ? error.problems : undefined;
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: error instanceof Error ? error.message : String(error), problems })}\n`);
    process.exit(configError ? 2 : 1);
  },
);
