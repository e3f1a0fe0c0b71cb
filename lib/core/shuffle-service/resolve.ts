// Defaults of an external shuffle service, applied once: the DaemonSet, its configuration and its
// RBAC read the resolved service instead of deciding a default of their own.
import { defaultSparkImage, parseSparkVersion, type SparkVersion } from '../spark/spark-version';
import {
  DEFAULT_SHUFFLE_NAMESPACE, DEFAULT_STATSD_PORT, resolveShuffleServiceRef, type ResolvedShuffleServiceRef,
} from './layout';
import type { ExternalShuffleServiceSpec } from './spec';

/** Names of the service's objects. */
export interface ShuffleServiceNames {
  /** The DaemonSet. */
  readonly daemonSet: string;
  /** The ConfigMap with spark-defaults.conf and log4j2.properties. */
  readonly configMap: string;
  /** The janitor's ServiceAccount. */
  readonly janitor: string;
  /** The janitor's ClusterRole and its bindings: cluster-scoped, so the namespace is part of the name. */
  readonly janitorRole: string;
}

/** An ExternalShuffleServiceSpec with every default decided. */
export interface ResolvedShuffleService extends ResolvedShuffleServiceRef {
  /** The spec as given. */
  readonly spec: ExternalShuffleServiceSpec;
  /** The DaemonSet's name. */
  readonly name: string;
  /** The service's namespace. */
  readonly namespace: string;
  /** The service's parsed Spark version. */
  readonly version: SparkVersion;
  /** The Spark image. */
  readonly image: string;
  /** Pull policy of both images. */
  readonly imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** The janitor's StatsD port (127.0.0.1). */
  readonly statsdPort: number;
  /** The service's JVM heap, a Spark size. */
  readonly memory: string;
  /** The service's CPU request. */
  readonly cpuRequest: string;
  /** The janitor's settings, defaults applied. */
  readonly janitor: { readonly grace: string; readonly interval: string; readonly cpuRequest: string; readonly memory: string };
  /** Names of the service's objects. */
  readonly names: ShuffleServiceNames;
}

/** Default name of the DaemonSet. */
export const DEFAULT_SHUFFLE_SERVICE_NAME = 'shuffle-service';
/** Longest name: the DaemonSet's pods add a 5-character suffix, its ClusterRole the namespace. */
export const MAX_SHUFFLE_SERVICE_NAME_LENGTH = 40;

/** Applies the defaults of a (validated) spec. */
export function resolveShuffleService(spec: ExternalShuffleServiceSpec): ResolvedShuffleService {
  const version = parseSparkVersion(spec.sparkVersion);
  const name = spec.name ?? DEFAULT_SHUFFLE_SERVICE_NAME;
  const namespace = spec.namespace ?? DEFAULT_SHUFFLE_NAMESPACE;
  const janitor = spec.janitor ?? {};
  return {
    ...resolveShuffleServiceRef(spec),
    spec,
    name,
    namespace,
    version,
    image: spec.image ?? defaultSparkImage(version, 'jvm'),
    imagePullPolicy: spec.imagePullPolicy ?? 'IfNotPresent',
    statsdPort: spec.statsdPort ?? DEFAULT_STATSD_PORT,
    memory: spec.memory ?? '512m',
    cpuRequest: spec.cpuRequest ?? '200m',
    janitor: {
      grace: janitor.grace ?? '600s',
      interval: janitor.interval ?? '60s',
      cpuRequest: janitor.cpuRequest ?? '20m',
      memory: janitor.memory ?? '128Mi',
    },
    names: { daemonSet: name, configMap: `${name}-conf`, janitor: `${name}-janitor`, janitorRole: `sparkplane:${namespace}:${name}-janitor` },
  };
}
