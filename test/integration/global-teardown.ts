// Global teardown of the integration suite: Jest runs it after every test file, failed or not.
// It stops the scripts/cluster control plane only when this run started it.
import { clusterDown, suiteState } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const state = suiteState();
  for (const [signal, handler] of state?.signalHandlers ?? []) process.removeListener(signal, handler);
  if (!state?.startedCluster) {
    if (process.env.SPARKPLANE_USE_EXISTING_CLUSTER !== '1') {
      process.stderr.write('[integration] leaving the scripts/cluster control plane running: it was running before the suite\n');
    }
    return;
  }
  process.stderr.write('[integration] stopping the scripts/cluster control plane this run started\n');
  state.startedCluster = false;
  if (!clusterDown()) throw new Error('scripts/cluster down failed; its output is above. Check `scripts/cluster status` and `ps`.');
}
