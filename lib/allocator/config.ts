// The sidecar's settings, read from its environment. The library renders these variables from the
// same props that it renders into Spark's own allocation keys, so the two never disagree. Every bad
// value is reported at once, with the variable, the value and what would be valid.
import { ALLOCATOR_BRIDGE_PORT, ALLOCATOR_METRICS_PORT } from '../core/allocator/protocol';
import { sparkDurationMs } from '../core/quantity';

/** The allocator sidecar's settings. */
export interface AllocatorConfig {
  /** Namespace of the driver and its executors. */
  readonly namespace: string;
  /** Name of the driver pod (the sidecar's own pod), owner of every executor pod. */
  readonly driverPodName: string;
  /** Most executor pods requested in one round (spark.kubernetes.allocation.batch.size). */
  readonly batchSize: number;
  /** Least time between two rounds that create pods, ms (spark.kubernetes.allocation.batch.delay). */
  readonly batchDelayMs: number;
  /** Most executor pods at once, over all resource profiles. */
  readonly maxExecutors: number;
  /** Most executor pods Pending at once (spark.kubernetes.allocation.maxPendingPods). */
  readonly maxPendingPods: number;
  /** No new pods while some have been Pending this long, ms. */
  readonly pendingDeadlineMs: number;
  /** A pod Pending this long is deleted and requested again, ms (spark.kubernetes.allocation.executor.timeout). */
  readonly pendingTimeoutMs: number;
  /** A Failed pod Spark has not removed after this long is deleted by the sidecar, ms. */
  readonly failedPodGraceMs: number;
  /** Loopback port of the bridge API (0: any free port, logged at start). */
  readonly bridgePort: number;
  /** Port of /healthz, /readyz and /metrics (0: any free port, logged at start). */
  readonly metricsPort: number;
  /** Address /healthz, /readyz and /metrics listen on. */
  readonly metricsHost: string;
  /** Least severe log level written. */
  readonly logLevel: LogLevel;
}

/** Log levels, least severe first. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
/** A log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The environment variables, by setting. */
export const ALLOCATOR_ENV = {
  namespace: 'SPARKPLANE_NAMESPACE',
  driverPodName: 'SPARKPLANE_DRIVER_POD_NAME',
  batchSize: 'SPARKPLANE_ALLOCATOR_BATCH_SIZE',
  batchDelayMs: 'SPARKPLANE_ALLOCATOR_BATCH_DELAY',
  maxExecutors: 'SPARKPLANE_ALLOCATOR_MAX_EXECUTORS',
  maxPendingPods: 'SPARKPLANE_ALLOCATOR_MAX_PENDING_PODS',
  pendingDeadlineMs: 'SPARKPLANE_ALLOCATOR_PENDING_DEADLINE',
  pendingTimeoutMs: 'SPARKPLANE_ALLOCATOR_PENDING_TIMEOUT',
  failedPodGraceMs: 'SPARKPLANE_ALLOCATOR_FAILED_POD_GRACE',
  bridgePort: 'SPARKPLANE_ALLOCATOR_BRIDGE_PORT',
  metricsPort: 'SPARKPLANE_ALLOCATOR_METRICS_PORT',
  metricsHost: 'SPARKPLANE_ALLOCATOR_METRICS_HOST',
  logLevel: 'SPARKPLANE_ALLOCATOR_LOG_LEVEL',
} as const satisfies Record<keyof AllocatorConfig, string>;

/** Settings a program of the image got wrong in its environment, each named with its value and the fix. */
export class EnvConfigError extends Error {
  constructor(readonly component: string, readonly problems: readonly string[]) {
    super(`invalid ${component} configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'EnvConfigError';
  }
}

/** The settings in `env`; throws one EnvConfigError naming every bad value. */
export function allocatorConfigFromEnv(env: Readonly<Record<string, string | undefined>>): AllocatorConfig {
  const problems: string[] = [];
  const text = (key: keyof AllocatorConfig, fallback?: string): string => {
    const variable = ALLOCATOR_ENV[key];
    const value = env[variable];
    if (value !== undefined && value.trim() !== '') return value.trim();
    if (fallback === undefined) problems.push(`${variable} is not set: set it (the library renders it from the downward API)`);
    return fallback ?? '';
  };
  const whole = (key: keyof AllocatorConfig, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const value = text(key, String(fallback));
    const parsed = /^[0-9]+$/.test(value) ? Number(value) : NaN;
    if (Number.isSafeInteger(parsed) && parsed >= min && parsed <= max) return parsed;
    problems.push(`${ALLOCATOR_ENV[key]}=${JSON.stringify(value)} is not a whole number from ${min} to ${max}: set it to e.g. ${fallback}`);
    return fallback;
  };
  const duration = (key: keyof AllocatorConfig, fallback: string, minMs: number): number => {
    const value = text(key, fallback);
    const ms = sparkDurationMs(value);
    if (ms !== undefined && ms >= minMs) return ms;
    problems.push(`${ALLOCATOR_ENV[key]}=${JSON.stringify(value)} is not a duration of at least ${minMs} ms: use a Spark duration such as ${JSON.stringify(fallback)}, "500ms" or "2min"`);
    return sparkDurationMs(fallback)!;
  };
  const logLevel = text('logLevel', 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`${ALLOCATOR_ENV.logLevel}=${JSON.stringify(logLevel)} is not a log level: use one of ${LOG_LEVELS.join(', ')}`);
  const config: AllocatorConfig = {
    namespace: text('namespace'),
    driverPodName: text('driverPodName'),
    batchSize: whole('batchSize', 10, 1, 10_000),
    batchDelayMs: duration('batchDelayMs', '1s', 10),
    maxExecutors: whole('maxExecutors', 2_147_483_647, 0, 2_147_483_647),
    maxPendingPods: whole('maxPendingPods', 2_147_483_647, 1, 2_147_483_647),
    pendingDeadlineMs: duration('pendingDeadlineMs', '60s', 1000),
    pendingTimeoutMs: duration('pendingTimeoutMs', '600s', 1000),
    failedPodGraceMs: duration('failedPodGraceMs', '30s', 0),
    bridgePort: whole('bridgePort', ALLOCATOR_BRIDGE_PORT, 0, 65535),
    metricsPort: whole('metricsPort', ALLOCATOR_METRICS_PORT, 0, 65535),
    metricsHost: text('metricsHost', '0.0.0.0'),
    logLevel: LOG_LEVELS.includes(logLevel) ? logLevel : 'info',
  };
  if (problems.length === 0 && config.pendingTimeoutMs < config.pendingDeadlineMs) {
    problems.push(`${ALLOCATOR_ENV.pendingTimeoutMs} (${config.pendingTimeoutMs} ms) is shorter than ${ALLOCATOR_ENV.pendingDeadlineMs} (${config.pendingDeadlineMs} ms): pods would be deleted before the allocator stops adding; make the timeout the longer one`);
  }
  if (problems.length) throw new EnvConfigError('allocator', problems);
  return config;
}
