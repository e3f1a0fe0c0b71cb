// The staging server's settings, read from its environment (no Kubernetes client here, so the settings
// are testable on their own). Every bad value is reported at once, with the fix.
import { LOG_LEVELS, type LogLevel } from '../allocator/config';
import { EnvSettings } from '../program/env-settings';
import { STAGING_DATA_PORT, STAGING_METRICS_PORT } from '../core/staging/protocol';
import { dnsLabelProblem, dnsSubdomainProblem } from '../core/kube-names';
import { parseKubeQuantity } from '../core/quantity';

/** Where the tokens come from. */
export type StagingTokenConfig =
  /** The Secret `secretName` in `namespace` (undefined: the namespace of the in-cluster config or the kubeconfig's context). */
  | { readonly source: 'secret'; readonly secretName: string; readonly namespace?: string }
  /** Two files, e.g. a Secret volume's, or local files for benchmarks and tests. */
  | { readonly source: 'files'; readonly uploadTokenFile: string; readonly readTokenFile: string };

/** The staging server's settings. */
export interface StagingServerConfig {
  /** The storage directory (the PersistentVolumeClaim's mount), absolute. */
  readonly storageDir: string;
  /** Port of the data API (0: any free port, logged at start). */
  readonly port: number;
  /** Port of /healthz, /readyz and /metrics (0: any free port, logged at start). */
  readonly metricsPort: number;
  /** Address both ports listen on. */
  readonly host: string;
  /** Largest upload, bytes. */
  readonly maxUploadBytes: number;
  /** A blob unused (not uploaded, downloaded or checked) for this long is deleted, ms. */
  readonly ttlMs: number;
  /** Time between two sweeps of the storage, ms. */
  readonly sweepIntervalMs: number;
  /** The server is not ready while the volume has less free space than this, bytes. */
  readonly minFreeBytes: number;
  /** Where the tokens come from. */
  readonly tokens: StagingTokenConfig;
  /** Time between two readings of the tokens, ms. */
  readonly tokenRefreshMs: number;
  /** Least severe log level written. */
  readonly logLevel: LogLevel;
}

/** The environment variables, by setting. */
export const STAGING_SERVER_ENV = {
  storageDir: 'SPARKPLANE_STAGING_DIR',
  port: 'SPARKPLANE_STAGING_PORT',
  metricsPort: 'SPARKPLANE_STAGING_METRICS_PORT',
  host: 'SPARKPLANE_STAGING_HOST',
  maxUploadBytes: 'SPARKPLANE_STAGING_MAX_UPLOAD',
  ttlMs: 'SPARKPLANE_STAGING_TTL',
  sweepIntervalMs: 'SPARKPLANE_STAGING_SWEEP_INTERVAL',
  minFreeBytes: 'SPARKPLANE_STAGING_MIN_FREE',
  tokensSecret: 'SPARKPLANE_STAGING_TOKENS_SECRET',
  namespace: 'SPARKPLANE_STAGING_NAMESPACE',
  uploadTokenFile: 'SPARKPLANE_STAGING_UPLOAD_TOKEN_FILE',
  readTokenFile: 'SPARKPLANE_STAGING_READ_TOKEN_FILE',
  tokenRefreshMs: 'SPARKPLANE_STAGING_TOKEN_REFRESH',
  logLevel: 'SPARKPLANE_STAGING_LOG_LEVEL',
} as const;

/** The settings in `env`; throws one EnvConfigError naming every bad value. */
export function stagingServerConfigFromEnv(env: Readonly<Record<string, string | undefined>>): StagingServerConfig {
  const settings = new EnvSettings(env);
  const { problems } = settings;
  const V = STAGING_SERVER_ENV;
  const bytes = (variable: string, fallback: string, min: number) => {
    const value = settings.text(variable) ?? fallback;
    const parsed = parseKubeQuantity(value);
    if (parsed !== undefined && Number.isSafeInteger(Math.floor(parsed)) && Math.floor(parsed) >= min) return Math.floor(parsed);
    problems.push(`${variable}=${JSON.stringify(value)} is not a size of at least ${min} bytes: use a Kubernetes quantity such as ${JSON.stringify(fallback)}`);
    return parseKubeQuantity(fallback)!;
  };
  const absolutePath = (variable: string, example: string) => {
    const value = settings.text(variable) ?? '';
    if (!value.startsWith('/')) problems.push(`${variable}=${JSON.stringify(value)} must be an absolute path, e.g. ${JSON.stringify(example)}`);
    return value;
  };

  const storageDir = absolutePath(V.storageDir, '/var/lib/sparkplane/staging');
  const secretName = settings.text(V.tokensSecret);
  const uploadTokenFile = settings.text(V.uploadTokenFile);
  const readTokenFile = settings.text(V.readTokenFile);
  const namespace = settings.text(V.namespace);
  let tokens: StagingTokenConfig;
  if (secretName !== undefined) {
    const problem = dnsSubdomainProblem(secretName);
    if (problem) problems.push(`${V.tokensSecret}=${JSON.stringify(secretName)} is not a Secret name: it ${problem}`);
    if (namespace !== undefined && dnsLabelProblem(namespace)) problems.push(`${V.namespace}=${JSON.stringify(namespace)} is not a namespace name: it ${dnsLabelProblem(namespace)}`);
    if (uploadTokenFile !== undefined || readTokenFile !== undefined) problems.push(`${V.tokensSecret} and ${V.uploadTokenFile}/${V.readTokenFile} are both set: the tokens come from the Secret or from the files, set only one`);
    tokens = { source: 'secret', secretName, namespace };
  } else if (uploadTokenFile !== undefined || readTokenFile !== undefined) {
    tokens = { source: 'files', uploadTokenFile: absolutePath(V.uploadTokenFile, '/var/run/sparkplane/staging/upload-token'), readTokenFile: absolutePath(V.readTokenFile, '/var/run/sparkplane/staging/read-token') };
  } else {
    problems.push(`no tokens: set ${V.tokensSecret} to the name of the tokens Secret (the renderer does), or both ${V.uploadTokenFile} and ${V.readTokenFile}`);
    tokens = { source: 'files', uploadTokenFile: '', readTokenFile: '' };
  }
  const logLevel = (settings.text(V.logLevel) ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`${V.logLevel}=${JSON.stringify(logLevel)} is not a log level: use one of ${LOG_LEVELS.join(', ')}`);
  const config: StagingServerConfig = {
    storageDir,
    port: settings.port(V.port, STAGING_DATA_PORT),
    metricsPort: settings.port(V.metricsPort, STAGING_METRICS_PORT),
    host: settings.text(V.host) ?? '0.0.0.0',
    maxUploadBytes: bytes(V.maxUploadBytes, '2Gi', 1),
    ttlMs: settings.duration(V.ttlMs, '7d', 1000),
    sweepIntervalMs: settings.duration(V.sweepIntervalMs, '10min', 100),
    minFreeBytes: bytes(V.minFreeBytes, '256Mi', 0),
    tokens,
    tokenRefreshMs: settings.duration(V.tokenRefreshMs, '60s', 100),
    logLevel: LOG_LEVELS.includes(logLevel) ? logLevel : 'info',
  };
  settings.throwIfAny('staging server');
  return config;
}
