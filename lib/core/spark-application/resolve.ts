// Defaults, applied once: every renderer reads the resolved application instead of re-deciding a
// default of its own.
import { parseSparkSizeMiB } from '../quantity';
import { defaultSparkImage, parseSparkVersion, type SparkVersion } from '../spark/spark-version';
import { DEFAULT_BLOCK_MANAGER_PORT, DEFAULT_DRIVER_PORT, DEFAULT_UI_PORT } from './layout';
import { sparkApplicationNames, type SparkApplicationNames } from './naming';
import { resolveAllocator, type ResolvedAllocator } from '../allocator/allocator-sidecar';
import { resolveShuffleServiceRef, type ResolvedShuffleServiceRef } from '../shuffle-service/layout';
import { resolveDependencies, type ResolvedDependencies } from '../staging/application-wiring';
import type { SparkApplicationSpec, SparkApplicationType, SparkDriverSpec, SparkExecutorSpec } from './spec';

/** The runtime the main resource needs. */
export type SparkLanguage = 'jvm' | 'python' | 'r';

/** A SparkApplicationSpec with every default decided. */
export interface ResolvedSparkApplication {
  /** The spec as given. */
  readonly spec: SparkApplicationSpec;
  /** The application's name. */
  readonly name: string;
  /** The namespace of its objects. */
  readonly namespace: string;
  /** The parsed Spark version. */
  readonly version: SparkVersion;
  /** The runtime of its main resource. */
  readonly language: SparkLanguage;
  /** The container image of driver and executors. */
  readonly image: string;
  /** The names of its objects. */
  readonly names: SparkApplicationNames;
  /** The driver's ServiceAccount. */
  readonly serviceAccountName: string;
  /** Whether the ServiceAccount is rendered (false when an existing one is used). */
  readonly createServiceAccount: boolean;
  /** The driver, defaults applied. */
  readonly driver: SparkDriverSpec & { readonly cores: number; readonly memory: string; readonly port: number; readonly blockManagerPort: number; readonly uiPort: number };
  /** The executors, defaults applied. */
  readonly executor: SparkExecutorSpec & { readonly cores: number; readonly memory: string; readonly instances: number };
  /** The allocator sidecar's settings, when it is on. */
  readonly allocator: ResolvedAllocator | undefined;
  /** The dependencies as Spark is given them, and the local files among them to stage. */
  readonly dependencies: ResolvedDependencies;
  /** The external shuffle service the executors use, when there is one. */
  readonly shuffleService: ResolvedShuffleServiceRef | undefined;
}

/** The application type a spec declares or implies. */
export function applicationType(spec: Pick<SparkApplicationSpec, 'type' | 'mainClass' | 'mainApplicationFile'>): SparkApplicationType {
  if (spec.type) return spec.type;
  if (spec.mainClass) return 'Scala';
  const file = spec.mainApplicationFile ?? '';
  if (/\.py$/i.test(file)) return 'Python';
  if (/\.r$/i.test(file)) return 'R';
  return 'Scala';
}

/** The runtime of an application type. */
export function languageOf(type: SparkApplicationType): SparkLanguage {
  return type === 'Python' ? 'python' : type === 'R' ? 'r' : 'jvm';
}

/** Applies the defaults of a (validated) spec. */
export function resolveSparkApplication(spec: SparkApplicationSpec): ResolvedSparkApplication {
  const version = parseSparkVersion(spec.sparkVersion);
  const language = languageOf(applicationType(spec));
  const names = sparkApplicationNames(spec.name);
  const driver = spec.driver ?? {};
  const executor = spec.executor ?? {};
  return {
    spec,
    name: spec.name,
    namespace: spec.namespace ?? 'default',
    version,
    language,
    image: spec.image ?? defaultSparkImage(version, language),
    names,
    serviceAccountName: driver.serviceAccountName ?? names.driver,
    createServiceAccount: driver.serviceAccountName === undefined,
    driver: {
      ...driver,
      cores: driver.cores ?? 1,
      memory: driver.memory ?? '1g',
      port: driver.port ?? DEFAULT_DRIVER_PORT,
      blockManagerPort: driver.blockManagerPort ?? DEFAULT_BLOCK_MANAGER_PORT,
      uiPort: driver.uiPort ?? DEFAULT_UI_PORT,
    },
    executor: { ...executor, cores: executor.cores ?? 1, memory: executor.memory ?? '1g', instances: executor.instances ?? 2 },
    dependencies: resolveDependencies(spec),
    shuffleService: spec.shuffleService && resolveShuffleServiceRef(spec.shuffleService),
    allocator: spec.allocator && resolveAllocator(spec.allocator, version.line, spec.dynamicAllocation?.maxExecutors ?? executor.instances ?? 2),
  };
}

/** Spark's minimum memory overhead, MiB (MEMORY_OVERHEAD_MIN_MIB). */
const MIN_OVERHEAD_MIB = 384;

/**
 * Memory of the driver container, MiB: heap plus overhead, as Spark sizes a driver pod
 * (overhead factor 0.1, or 0.4 when a Python or R process shares the container).
 */
export function driverContainerMemoryMiB(app: ResolvedSparkApplication): number {
  const heap = parseSparkSizeMiB(app.driver.memory)!;
  if (app.driver.memoryOverhead !== undefined) return heap + parseSparkSizeMiB(app.driver.memoryOverhead)!;
  const factor = app.language === 'jvm' ? 0.1 : 0.4;
  return heap + Math.max(Math.floor(heap * factor), MIN_OVERHEAD_MIB);
}
