// What the global setup hands to the test files: which cluster, which kubectl. Set as environment
// variables before Jest starts any test (in band or in a worker), so every test file reads the same.

/** Which cluster the suite talks to. */
export type ClusterMode = 'harness' | 'existing';

/** The cluster the integration suite runs against. */
export interface ClusterConnection {
  /** "harness": scripts/cluster, with KWOK nodes; "existing": the user's KUBECONFIG (SPARKPLANE_USE_EXISTING_CLUSTER=1). */
  readonly mode: ClusterMode;
  /** Path of the kubectl binary to run. */
  readonly kubectl: string;
  /** Path of the kubeconfig; undefined means kubectl's own default (KUBECONFIG or ~/.kube/config). */
  readonly kubeconfig?: string;
}

export const ENV_MODE = 'SPARKPLANE_IT_CLUSTER_MODE';
export const ENV_KUBECTL = 'SPARKPLANE_IT_KUBECTL';
export const ENV_KUBECONFIG = 'SPARKPLANE_IT_KUBECONFIG';

/** Publishes the connection to the test files (called by the global setup). */
export function publishConnection(connection: ClusterConnection): void {
  process.env[ENV_MODE] = connection.mode;
  process.env[ENV_KUBECTL] = connection.kubectl;
  if (connection.kubeconfig) {
    process.env[ENV_KUBECONFIG] = connection.kubeconfig;
    process.env.KUBECONFIG = connection.kubeconfig;
  } else {
    delete process.env[ENV_KUBECONFIG];
  }
}

/** The connection the global setup published; a clear error when the suite was started without it. */
export function connection(): ClusterConnection {
  const mode = process.env[ENV_MODE];
  const kubectl = process.env[ENV_KUBECTL];
  if ((mode !== 'harness' && mode !== 'existing') || !kubectl) {
    throw new Error(
      `${ENV_MODE}/${ENV_KUBECTL} are not set: the integration tests need their global setup. ` +
        'Run them with `npx jest -c test/integration/jest.config.json` (or `npx projen test:integration`).',
    );
  }
  return { mode, kubectl, kubeconfig: process.env[ENV_KUBECONFIG] || undefined };
}
