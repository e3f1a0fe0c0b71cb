// Global setup of the integration suite: make sure a cluster is there, and tell the tests how to reach it.
//
// - SPARKPLANE_USE_EXISTING_CLUSTER=1: use the cluster KUBECONFIG (or ~/.kube/config) points to; start nothing.
// - otherwise: `scripts/cluster up` (builds the binaries on first use, 7-20 minutes), then use its
//   kubeconfig, ignoring any KUBECONFIG already set. The teardown stops the cluster only if it was
//   not running before this setup, so a developer's running cluster is left alone.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { publishConnection, type ClusterConnection } from './support/cluster-env';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const CLUSTER_SCRIPT = path.join(REPO_ROOT, 'scripts', 'cluster');
const HARNESS_KUBECTL = path.join(REPO_ROOT, '.cache', 'cluster', 'bin', 'kubectl');

/** What the teardown needs to know; global-setup and global-teardown run in the same (parent) process. */
export interface SuiteClusterState {
  /** This run started the cluster, so its teardown (or an interrupt) must stop it. */
  startedCluster: boolean;
  /** Signal handlers installed to stop a cluster we started when the run is interrupted. */
  signalHandlers: Array<[NodeJS.Signals, () => void]>;
}

const STATE_KEY = '__SPARKPLANE_INTEGRATION_CLUSTER__';

export function suiteState(): SuiteClusterState | undefined {
  return (globalThis as Record<string, unknown>)[STATE_KEY] as SuiteClusterState | undefined;
}

/** `scripts/cluster down`, with its output on the console; true when it succeeded. */
export function clusterDown(): boolean {
  const down = spawnSync(CLUSTER_SCRIPT, ['down'], { cwd: REPO_ROOT, stdio: 'inherit' });
  return down.status === 0;
}

export default async function globalSetup(): Promise<void> {
  const state: SuiteClusterState = { startedCluster: false, signalHandlers: [] };
  (globalThis as Record<string, unknown>)[STATE_KEY] = state;

  if (process.env.SPARKPLANE_USE_EXISTING_CLUSTER === '1') {
    useExistingCluster();
    return;
  }

  // Exit status 0 only when every component runs and /readyz is ok: then it is someone else's, leave it running.
  const wasRunning = spawnSync(CLUSTER_SCRIPT, ['status'], { cwd: REPO_ROOT, stdio: 'ignore' }).status === 0;
  process.stderr.write(
    wasRunning
      ? '\n[integration] the scripts/cluster control plane is already running: using it, and leaving it running afterwards\n'
      : '\n[integration] starting the scripts/cluster control plane (the first run builds it: 7-20 minutes)\n',
  );
  if (!wasRunning) {
    // From here on an interrupt (Ctrl-C) must not leave the cluster behind: Jest runs no teardown then.
    state.startedCluster = true;
    installSignalHandlers(state);
  }

  const started = Date.now();
  const up = spawnSync(CLUSTER_SCRIPT, ['up'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (up.status !== 0) {
    // `up` stops what it started when it fails; `down` makes sure of it (only if the cluster was not ours to keep).
    if (state.startedCluster) clusterDown();
    throw new Error(`scripts/cluster up failed (${up.error ? up.error.message : `exit status ${up.status ?? up.signal}`}); its output is above`);
  }
  process.stderr.write(`[integration] cluster ready after ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

  try {
    const kubeconfig = spawnSync(CLUSTER_SCRIPT, ['kubeconfig'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.trim();
    if (!kubeconfig || !fs.existsSync(kubeconfig)) throw new Error(`scripts/cluster kubeconfig printed '${kubeconfig}', which does not exist`);
    if (!fs.existsSync(HARNESS_KUBECTL)) throw new Error(`${HARNESS_KUBECTL} is missing after scripts/cluster up`);
    publishConnection({ mode: 'harness', kubectl: HARNESS_KUBECTL, kubeconfig });
  } catch (error) {
    if (state.startedCluster) clusterDown();
    throw error;
  }
}

function useExistingCluster(): void {
  // The kubectl built by `scripts/cluster build` when there is one (server-side apply needs a recent one), else PATH's.
  const kubectl = fs.existsSync(HARNESS_KUBECTL) ? HARNESS_KUBECTL : 'kubectl';
  const connection: ClusterConnection = { mode: 'existing', kubectl, kubeconfig: process.env.KUBECONFIG || undefined };
  const args = [...(connection.kubeconfig ? ['--kubeconfig', connection.kubeconfig] : []), '--request-timeout=10s', 'get', '--raw', '/readyz'];
  const probe = spawnSync(kubectl, args, { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(
      `SPARKPLANE_USE_EXISTING_CLUSTER=1 but the cluster is not reachable with ${kubectl} ` +
        `(KUBECONFIG=${connection.kubeconfig ?? '<unset: ~/.kube/config>'}): ${(probe.stderr || probe.error?.message || '').trim()}`,
    );
  }
  process.stderr.write(`\n[integration] using the existing cluster of ${connection.kubeconfig ?? '~/.kube/config'} with ${kubectl}; nothing will be started or stopped\n`);
  publishConnection(connection);
}

function installSignalHandlers(state: SuiteClusterState): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as NodeJS.Signals[]) {
    const handler = () => {
      process.stderr.write(`\n[integration] ${signal}: stopping the cluster this run started\n`);
      clusterDown();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    };
    process.once(signal, handler);
    state.signalHandlers.push([signal, handler]);
  }
}
