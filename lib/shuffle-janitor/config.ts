// The shuffle janitor's settings, read from its environment (no Kubernetes client here, so the
// settings are testable on their own). Every bad value is reported at once, with the fix.
import { EnvConfigError } from '../allocator/config';
import { sparkDurationMs } from '../core/quantity';
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
  const problems: string[] = [];
  const duration = (variable: string, fallback: string, minMs: number) => {
    const value = env[variable]?.trim() || fallback;
    const ms = sparkDurationMs(value);
    if (ms !== undefined && ms >= minMs) return ms;
    problems.push(`${variable}=${JSON.stringify(value)} is not a duration of at least ${minMs} ms: use a Spark duration such as ${JSON.stringify(fallback)}`);
    return sparkDurationMs(fallback)!;
  };
  const port = (variable: string, fallback: number) => {
    const value = env[variable]?.trim() || String(fallback);
    if (/^[0-9]+$/.test(value) && Number(value) <= 65535) return Number(value);
    problems.push(`${variable}=${JSON.stringify(value)} is not a port number: set it to e.g. ${fallback}`);
    return fallback;
  };
  const appsDir = env.SPARKPLANE_JANITOR_APPS_DIR?.trim() ?? '';
  if (!appsDir.startsWith('/')) problems.push(`SPARKPLANE_JANITOR_APPS_DIR=${JSON.stringify(appsDir)} must be the absolute path of the node's apps root as mounted, e.g. "/var/lib/sparkplane/shuffle/apps"`);
  const metricsPort = port('SPARKPLANE_JANITOR_METRICS_PORT', DEFAULT_JANITOR_METRICS_PORT);
  const statsdPort = port('SPARKPLANE_JANITOR_STATSD_PORT', DEFAULT_STATSD_PORT);
  const config = {
    appsDir,
    graceMs: duration('SPARKPLANE_JANITOR_GRACE', '600s', 0),
    intervalMs: duration('SPARKPLANE_JANITOR_INTERVAL', '60s', 100),
    metricsPort,
    metricsHost: env.SPARKPLANE_JANITOR_METRICS_HOST?.trim() || '0.0.0.0',
    statsdPort,
    nodeName: env.NODE_NAME?.trim() || undefined,
  };
  if (problems.length) throw new EnvConfigError('shuffle janitor', problems);
  return config;
}
