// The shuffle janitor's settings, read from its environment (no Kubernetes client here, so the
// settings are testable on their own). Every bad value is reported at once, with the fix.
import { EnvSettings } from '../program/env-settings';
import { DEFAULT_JANITOR_METRICS_PORT, DEFAULT_STATSD_PORT } from '../core/shuffle-service/layout';

/** The janitor's settings. */
export interface JanitorConfig {
  /** The node's apps root, H/apps, as mounted in the container. */
  readonly appsDir: string;
  /** How long a driver must be gone or finished before its files go, ms. */
  readonly graceMs: number;
  /** Time between sweeps, ms. */
  readonly intervalMs: number;
  /** Port of /healthz, /readyz and /metrics (0: any free port, logged at start). */
  readonly metricsPort: number;
  /** Address of /healthz, /readyz and /metrics. */
  readonly metricsHost: string;
  /** UDP port on 127.0.0.1 where the shuffle service's StatsdSink sends its metrics (0: any free port, logged at start). */
  readonly statsdPort: number;
  /** The node's name, the `node` label of the relayed metrics (NODE_NAME, from the downward API). */
  readonly nodeName?: string;
}

/** The settings in `env`; throws one EnvConfigError naming every bad value. */
export function janitorConfigFromEnv(env: Readonly<Record<string, string | undefined>>): JanitorConfig {
  const settings = new EnvSettings(env);
  const appsDir = settings.text('SPARKPLANE_JANITOR_APPS_DIR') ?? '';
  if (!appsDir.startsWith('/')) settings.problems.push(`SPARKPLANE_JANITOR_APPS_DIR=${JSON.stringify(appsDir)} must be the absolute path of the node's apps root as mounted, e.g. "/var/lib/sparkplane/shuffle/apps"`);
  const metricsPort = settings.port('SPARKPLANE_JANITOR_METRICS_PORT', DEFAULT_JANITOR_METRICS_PORT);
  const statsdPort = settings.port('SPARKPLANE_JANITOR_STATSD_PORT', DEFAULT_STATSD_PORT);
  const config = {
    appsDir,
    graceMs: settings.duration('SPARKPLANE_JANITOR_GRACE', '600s', 0),
    intervalMs: settings.duration('SPARKPLANE_JANITOR_INTERVAL', '60s', 100),
    metricsPort,
    metricsHost: settings.text('SPARKPLANE_JANITOR_METRICS_HOST') ?? '0.0.0.0',
    statsdPort,
    nodeName: settings.text('NODE_NAME'),
  };
  settings.throwIfAny('shuffle janitor');
  return config;
}
