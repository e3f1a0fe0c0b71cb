// validateSparkApplication: every problem of a spec, collected into one error before anything
// renders. It is defensive about types, since JavaScript callers and YAML-fed specs bypass the
// compiler: a wrong type is a validation problem, never a crash.
import type { KubeContainer, KubeSecurityContext, KubeVolume } from '../kube-objects';
import { dnsLabelProblem, dnsSubdomainProblem, envVarNameProblem } from '../kube-names';
import { checkContainerAgainstLevel, checkVolumesAgainstLevel, containerSecurityContext, type PodSecurityLevel } from '../pod-security';
import {
  imageProblem, isInteger, isObject, isRecord, positiveQuantityProblem, PropsChecker, sparkSizeProblem,
} from '../props-checker';
import { isSparkDuration, parseKubeQuantity, sparkDurationMs } from '../quantity';
import { sparkConfKeyProblem } from '../spark/conf-keys';
import { parseSparkVersion, sparkVersionProblem } from '../spark/spark-version';
import { ProblemCollector } from '../validation';
import { ALLOCATOR_CONTAINER_NAME, ALLOCATOR_OWNED_SPARK_KEYS, BRIDGE_VOLUME_NAME, INSTALL_BRIDGE_CONTAINER_NAME } from '../allocator/allocator-sidecar';
import { ALLOCATOR_URL_ENV } from '../allocator/protocol';
import { checkShuffleClient } from '../shuffle-service/application-wiring';
import { DRIVER_POD_UID_ENV, EXECUTOR_SHUFFLE_VOLUME } from '../shuffle-service/layout';
import { ShuffleRefChecker } from '../shuffle-service/validate';
import { FETCH_STAGED_CONTAINER_NAME, STAGED_VOLUME_NAME, STAGING_TOKEN_VOLUME_NAME } from '../staging/application-wiring';
import { isLocalPath, localFileProblem } from '../staging/local-files';
import { STAGED_FILES_DIR } from '../staging/protocol';
import { StagingRefChecker } from '../staging/validate';
import * as path from 'path';
import {
  CONF_MOUNT_PATH, DEFAULT_BLOCK_MANAGER_PORT, DEFAULT_DRIVER_PORT, DEFAULT_UI_PORT, DRIVER_CONTAINER_NAME, EXECUTOR_CONTAINER_NAME, SCRATCH_VOLUMES,
} from './layout';
import { MAX_APPLICATION_NAME_LENGTH } from './naming';
import { applicationType } from './resolve';
import type { SparkApplicationSpec, SparkDriverSpec, SparkExecutorSpec, SparkPodSpec } from './spec';
import { RESERVED_SPARK_CONF_KEYS } from './spark-properties';
import { MONITORING_OWNED_SPARK_KEYS, metricsPushEnabled, prometheusEnabled } from '../monitoring/spark-metrics';
import { FINAL_REPORT_VOLUME_NAME, METRICS_PUSH_CONTAINER_NAME } from '../monitoring/metrics-push';

const APPLICATION_TYPES = ['Java', 'Scala', 'Python', 'R'];
const POD_SECURITY_LEVELS = ['restricted', 'baseline', 'privileged'];
const VOLUME_SOURCES = ['configMap', 'secret', 'persistentVolumeClaim', 'emptyDir', 'hostPath'];
const RESERVED_VOLUME_NAMES = ['spark-conf', BRIDGE_VOLUME_NAME, FINAL_REPORT_VOLUME_NAME, EXECUTOR_SHUFFLE_VOLUME, STAGED_VOLUME_NAME, STAGING_TOKEN_VOLUME_NAME, ...SCRATCH_VOLUMES.map((v) => v.name)];
const RESERVED_ENV = ['SPARK_DRIVER_POD_NAME', 'SPARK_DRIVER_BIND_ADDRESS', DRIVER_POD_UID_ENV, ALLOCATOR_URL_ENV];

/** Throws `SparkplaneValidationError` listing every problem of `spec`; returns quietly when it is valid. */
export function validateSparkApplication(spec: SparkApplicationSpec): void {
  const problems = new ProblemCollector();
  if (!isRecord(spec)) {
    problems.add('(spec)', spec, 'must be an object with at least name, sparkVersion and mainApplicationFile');
    return problems.throwIfAny('SparkApplication');
  }
  new SpecChecker(spec, problems).check();
  problems.throwIfAny(`SparkApplication ${typeof spec.name === 'string' ? JSON.stringify(spec.name) : ''}`.trim());
}

class SpecChecker extends PropsChecker {
  private readonly level: PodSecurityLevel;
  private readonly volumeNames = new Set<string>();

  constructor(private readonly spec: SparkApplicationSpec, problems: ProblemCollector) {
    super(problems);
    this.level = POD_SECURITY_LEVELS.includes(spec.podSecurity as string) ? spec.podSecurity! : 'restricted';
  }

  public check(): void {
    const { spec, problems } = this;
    const nameProblem = dnsLabelProblem(spec.name, MAX_APPLICATION_NAME_LENGTH);
    if (nameProblem) problems.add('name', spec.name, `${nameProblem}; the name prefixes every object and executor pod name`);
    this.optional('namespace', spec.namespace, (v) => dnsLabelProblem(v));
    const versionProblem = sparkVersionProblem(spec.sparkVersion);
    if (versionProblem) problems.add('sparkVersion', spec.sparkVersion, versionProblem);
    if (spec.podSecurity !== undefined && !POD_SECURITY_LEVELS.includes(spec.podSecurity)) {
      problems.add('podSecurity', spec.podSecurity, `must be one of ${POD_SECURITY_LEVELS.join(', ')}`);
    }
    this.checkMainResource();
    this.checkDependencies();
    this.optional('image', spec.image, imageProblem);
    this.pullPolicy('imagePullPolicy', spec.imagePullPolicy);
    this.nameList('imagePullSecrets', spec.imagePullSecrets);
    this.stringMap('labels', spec.labels, true);
    this.checkVolumes();
    this.checkPod('driver', spec.driver, DRIVER_CONTAINER_NAME);
    this.checkPod('executor', spec.executor, EXECUTOR_CONTAINER_NAME);
    this.checkDriver(spec.driver);
    this.checkExecutorCount(spec.executor, spec.dynamicAllocation);
    this.checkSparkConf();
    if (spec.allocator !== undefined) this.checkAllocator();
    if (spec.monitoring !== undefined) this.checkMonitoring();
    if (spec.shuffleService !== undefined) this.checkShuffleService();
  }

  private checkMainResource(): void {
    const { spec, problems } = this;
    if (typeof spec.mainApplicationFile !== 'string' || spec.mainApplicationFile.trim() === '') {
      problems.add('mainApplicationFile', spec.mainApplicationFile, 'must be the URI of the jar, .py or .R file, e.g. "local:///opt/spark/examples/jars/spark-examples.jar"');
    }
    if (spec.type !== undefined && !APPLICATION_TYPES.includes(spec.type)) {
      problems.add('type', spec.type, `must be one of ${APPLICATION_TYPES.join(', ')}`);
      return;
    }
    this.optional('arguments', spec.arguments, (v) => (Array.isArray(v) && v.every((a) => typeof a === 'string') ? undefined : 'must be a list of strings'));
    const type = applicationType({ ...spec, mainApplicationFile: String(spec.mainApplicationFile ?? '') });
    const jvm = type === 'Java' || type === 'Scala';
    if (jvm && (typeof spec.mainClass !== 'string' || !/^[\p{L}_$][\p{L}\p{N}_$]*(\.[\p{L}_$][\p{L}\p{N}_$]*)*$/u.test(spec.mainClass))) {
      problems.add('mainClass', spec.mainClass, `a ${type} application needs its fully qualified main class, e.g. "org.apache.spark.examples.SparkPi"`);
    }
    if (!jvm && spec.mainClass !== undefined) {
      problems.add('mainClass', spec.mainClass, `a ${type} application has no main class; remove mainClass or set type to "Scala" or "Java"`);
    }
    const file = String(spec.mainApplicationFile ?? '');
    if (type === 'Python' && file && !/\.py$/i.test(file)) problems.add('mainApplicationFile', file, 'a Python application\'s main file must end in .py');
    if (type === 'R' && file && !/\.r$/i.test(file)) problems.add('mainApplicationFile', file, 'an R application\'s main file must end in .R');
  }

  /** The main resource, jars, files and pyFiles: URIs, or local files that the staging server serves. */
  private checkDependencies(): void {
    const { spec, problems } = this;
    if (spec.staging !== undefined) {
      if (!isRecord(spec.staging)) problems.add('staging', spec.staging, 'must be the StagingServer (its spec or construct), or a reference with at least image');
      else {
        new StagingRefChecker(problems).checkRef('staging.', spec.staging);
        const namespace = spec.namespace ?? 'default';
        if (spec.staging.namespace !== undefined && spec.staging.namespace !== namespace) {
          problems.add('staging.namespace', spec.staging.namespace, `is not the application's namespace (${namespace}): the driver reads the read token from a Secret of its own namespace; use that namespace's StagingServer`);
        }
      }
    }
    const names = new Map<string, { at: string; source: string }>();
    const check = (at: string, dependency: unknown) => {
      if (typeof dependency !== 'string' || dependency.trim() === '') return problems.add(at, dependency, 'must be a URI Spark can read (local:///..., https://..., s3a://...) or the path of a local file');
      if (/^file:/i.test(dependency)) return problems.add(at, dependency, 'a file: URI would be read on the driver\'s own disk: give a plain path to stage a file of this machine, or local:///… for a file in the image');
      if (!isLocalPath(dependency)) return;
      if (spec.staging === undefined) return problems.add(at, dependency, 'is a local path: set staging to the namespace\'s StagingServer, which serves it to the driver, or give a URI Spark can read (local:///..., https://...)');
      const problem = localFileProblem(dependency);
      if (problem) return problems.add(at, dependency, problem);
      // The driver keeps the staged copies in one folder, under their own names.
      const name = path.basename(dependency);
      const earlier = names.get(name);
      // The same file listed twice (a zip in files and pyFiles) is staged once.
      if (earlier && earlier.source !== path.resolve(dependency)) problems.add(at, dependency, `has the same file name as ${earlier.at}; staged files share one folder, so rename one`);
      names.set(name, { at, source: path.resolve(dependency) });
    };
    if (typeof spec.mainApplicationFile === 'string' && spec.mainApplicationFile.trim() !== '') check('mainApplicationFile', spec.mainApplicationFile);
    for (const key of ['jars', 'files', 'pyFiles'] as const) {
      const list = spec[key];
      if (list === undefined) continue;
      if (!Array.isArray(list)) problems.add(key, list, 'must be a list of URIs or local paths');
      else list.forEach((dependency, i) => check(`${key}[${i}]`, dependency));
    }
    if (spec.pyFiles?.length && applicationType({ ...spec, mainApplicationFile: String(spec.mainApplicationFile ?? '') }) !== 'Python') {
      problems.add('pyFiles', spec.pyFiles, 'is for Python applications; use jars or files');
    }
  }

  private checkVolumes(): void {
    const { spec, problems } = this;
    if (spec.volumes === undefined) return;
    if (!Array.isArray(spec.volumes)) return problems.add('volumes', spec.volumes, 'must be a list of volumes');
    spec.volumes.forEach((volume: KubeVolume, i) => {
      const path = `volumes[${i}]`;
      if (!isObject(volume)) return problems.add(path, volume, 'must be a volume object with a name and one source');
      const nameProblem = dnsLabelProblem(volume.name);
      if (nameProblem) problems.add(`${path}.name`, volume.name, nameProblem);
      else if (RESERVED_VOLUME_NAMES.includes(volume.name) || volume.name.startsWith('spark-local-dir-')) {
        problems.add(`${path}.name`, volume.name, `is used by sparkplane or Spark itself (${RESERVED_VOLUME_NAMES.join(', ')}, spark-local-dir-*); choose another name`);
      } else if (this.volumeNames.has(volume.name)) problems.add(`${path}.name`, volume.name, 'is used by an earlier volume; volume names must be unique');
      this.volumeNames.add(volume.name);
      const sources = Object.keys(volume).filter((key) => key !== 'name');
      const unknown = sources.filter((source) => !VOLUME_SOURCES.includes(source));
      if (unknown.length) problems.add(`${path}.${unknown[0]}`, volume[unknown[0] as keyof KubeVolume], `is not a supported volume source; use one of ${VOLUME_SOURCES.join(', ')}`);
      else if (sources.length !== 1) problems.add(path, volume, `must have exactly one source of ${VOLUME_SOURCES.join(', ')} (has ${sources.length})`);
      else if (!isRecord((volume as any)[sources[0]])) problems.add(`${path}.${sources[0]}`, (volume as any)[sources[0]], 'must be an object');
    });
    checkVolumesAgainstLevel(spec.volumes.filter(isObject), this.level, 'volumes', problems);
  }

  private checkPod(role: 'driver' | 'executor', pod: SparkPodSpec | undefined, sparkContainerName: string): void {
    const { problems } = this;
    if (pod === undefined) return;
    if (!isObject(pod)) return problems.add(role, pod, 'must be an object');
    this.optional(`${role}.cores`, pod.cores, (v) => (isInteger(v, 1, 1024) ? undefined : 'must be a whole number of cores from 1 to 1024 (use coreRequest for fractions of a CPU)'));
    this.optional(`${role}.coreRequest`, pod.coreRequest, (v) => positiveQuantityProblem(v, '"500m" or "2"'));
    this.optional(`${role}.coreLimit`, pod.coreLimit, (v) => positiveQuantityProblem(v, '"1" or "1500m"'));
    const request = parseKubeQuantity(pod.coreRequest ?? String(pod.cores ?? 1));
    const limit = parseKubeQuantity(pod.coreLimit);
    if (request !== undefined && limit !== undefined && limit > 0 && request > limit) {
      problems.add(`${role}.coreLimit`, pod.coreLimit, `is below the CPU request (${pod.coreRequest ?? pod.cores ?? 1}); raise coreLimit or lower coreRequest`);
    }
    // Spark's UnifiedMemoryManager refuses executors under 450m, and a driver JVM whose usable heap is under it.
    this.optional(`${role}.memory`, pod.memory, (v) => sparkSizeProblem(v, role === 'driver' ? 512 : 450));
    this.optional(`${role}.memoryOverhead`, pod.memoryOverhead, (v) => sparkSizeProblem(v, 0));
    this.optional(`${role}.ephemeralStorage`, pod.ephemeralStorage, (v) => positiveQuantityProblem(v, '"10Gi"'));
    this.stringMap(`${role}.labels`, pod.labels, true);
    this.stringMap(`${role}.annotations`, pod.annotations, false);
    this.stringMap(`${role}.nodeSelector`, pod.nodeSelector, true);
    this.optional(`${role}.priorityClassName`, pod.priorityClassName, (v) => dnsSubdomainProblem(v));
    this.optional(`${role}.affinity`, pod.affinity, (v) => (isRecord(v) && Object.keys(v).every((k) => ['nodeAffinity', 'podAffinity', 'podAntiAffinity'].includes(k)) ? undefined : 'must be an object with nodeAffinity, podAffinity or podAntiAffinity'));
    this.checkTolerations(`${role}.tolerations`, pod.tolerations);
    this.checkEnv(role, pod);
    this.checkMounts(`${role}.volumeMounts`, pod.volumeMounts);
    // With the allocator, the driver pod also holds its two init containers.
    const containerNames = new Set([
      sparkContainerName,
      ...(role === 'driver' && this.spec.allocator !== undefined ? [INSTALL_BRIDGE_CONTAINER_NAME, ALLOCATOR_CONTAINER_NAME] : []),
      ...(role === 'driver' && metricsPushEnabled(this.spec.monitoring) ? [METRICS_PUSH_CONTAINER_NAME] : []),
      ...(role === 'driver' && this.spec.staging !== undefined ? [FETCH_STAGED_CONTAINER_NAME] : []),
    ]);
    this.checkContainers(`${role}.initContainers`, pod.initContainers, containerNames);
    this.checkContainers(`${role}.sidecars`, pod.sidecars, containerNames);
    if (pod.securityContext !== undefined && !isRecord(pod.securityContext)) problems.add(`${role}.securityContext`, pod.securityContext, 'must be an object');
    else checkContainerAgainstLevel(containerSecurityContext(pod.securityContext), this.level, `${role}.securityContext`, problems);
  }

  private checkEnv(role: string, pod: SparkPodSpec): void {
    const names = new Set<string>();
    const checkName = (path: string, name: string) => {
      const problem = envVarNameProblem(name);
      if (problem) this.problems.add(path, name, problem);
      else if (role === 'driver' && RESERVED_ENV.includes(name)) this.problems.add(path, name, 'is set by sparkplane for the driver\'s own use; choose another name');
      else if (names.has(name)) this.problems.add(path, name, 'is set twice (env and secretEnv); keep one');
      names.add(name);
    };
    if (pod.env !== undefined) {
      if (!isRecord(pod.env)) this.problems.add(`${role}.env`, pod.env, 'must map variable names to string values');
      else for (const [name, value] of Object.entries(pod.env)) {
        checkName(`${role}.env["${name}"]`, name);
        if (typeof value !== 'string') this.problems.add(`${role}.env["${name}"]`, value, 'must be a string');
      }
    }
    if (pod.secretEnv !== undefined) {
      if (!isRecord(pod.secretEnv)) this.problems.add(`${role}.secretEnv`, pod.secretEnv, 'must map variable names to { secretName, key }');
      else for (const [name, ref] of Object.entries(pod.secretEnv)) {
        checkName(`${role}.secretEnv["${name}"]`, name);
        if (!isRecord(ref) || dnsSubdomainProblem(ref.secretName) || typeof ref.key !== 'string' || !/^[-._a-zA-Z0-9]+$/.test(ref.key)) {
          this.problems.add(`${role}.secretEnv["${name}"]`, ref, 'must be { secretName: <Secret name>, key: <key in the Secret> }');
        }
      }
    }
    this.nameList(`${role}.envFromSecrets`, pod.envFromSecrets);
  }

  private checkMounts(path: string, mounts: unknown): void {
    if (mounts === undefined) return;
    if (!Array.isArray(mounts)) return this.problems.add(path, mounts, 'must be a list of volume mounts');
    const reservedPaths = [CONF_MOUNT_PATH, STAGED_FILES_DIR, ...SCRATCH_VOLUMES.map((v) => v.mountPath)];
    mounts.forEach((mount, i) => {
      if (!isRecord(mount)) return this.problems.add(`${path}[${i}]`, mount, 'must be { name, mountPath }');
      if (!this.volumeNames.has(mount.name as string)) {
        this.problems.add(`${path}[${i}].name`, mount.name, `names no volume of the application; add it to volumes (known: ${[...this.volumeNames].join(', ') || 'none'})`);
      }
      if (typeof mount.mountPath !== 'string' || !mount.mountPath.startsWith('/')) this.problems.add(`${path}[${i}].mountPath`, mount.mountPath, 'must be an absolute path');
      else if (reservedPaths.includes(mount.mountPath.replace(/\/+$/, ''))) {
        this.problems.add(`${path}[${i}].mountPath`, mount.mountPath, `is used by sparkplane (${reservedPaths.join(', ')}); mount elsewhere`);
      }
    });
  }

  private checkContainers(path: string, containers: readonly KubeContainer[] | undefined, names: Set<string>): void {
    if (containers === undefined) return;
    if (!Array.isArray(containers)) return this.problems.add(path, containers, 'must be a list of containers');
    containers.forEach((container, i) => {
      if (!isObject(container)) return this.problems.add(`${path}[${i}]`, container, 'must be a container object with at least a name');
      const problem = dnsLabelProblem(container.name);
      if (problem) this.problems.add(`${path}[${i}].name`, container.name, problem);
      else if (names.has(container.name)) this.problems.add(`${path}[${i}].name`, container.name, 'is the name of another container of the pod; container names must be unique');
      names.add(container.name);
      if (container.image !== undefined && imageProblem(container.image)) {
        this.problems.add(`${path}[${i}].image`, container.image, 'must be an image reference without blanks');
      }
      this.checkMounts(`${path}[${i}].volumeMounts`, container.volumeMounts);
      if (container.securityContext !== undefined && !isRecord(container.securityContext)) {
        this.problems.add(`${path}[${i}].securityContext`, container.securityContext, 'must be an object');
      } else {
        checkContainerAgainstLevel(containerSecurityContext(container.securityContext as KubeSecurityContext), this.level, `${path}[${i}].securityContext`, this.problems);
      }
    });
  }

  private checkDriver(driver: SparkDriverSpec | undefined): void {
    if (!isObject(driver) || driver === undefined) return;
    this.optional('driver.serviceAccountName', driver.serviceAccountName, (v) => dnsSubdomainProblem(v));
    this.optional('driver.retries', driver.retries, (v) => (isInteger(v, 0, 100) ? undefined : 'must be a whole number from 0 to 100'));
    this.optional('driver.deadlineSeconds', driver.deadlineSeconds, (v) => (isInteger(v, 1) ? undefined : 'must be a whole number of seconds ≥ 1'));
    this.optional('driver.ttlSecondsAfterFinished', driver.ttlSecondsAfterFinished, (v) => (isInteger(v, 0) ? undefined : 'must be a whole number of seconds ≥ 0'));
    const ports: Array<[string, unknown]> = [['driver.port', driver.port], ['driver.blockManagerPort', driver.blockManagerPort], ['driver.uiPort', driver.uiPort]];
    const seen = new Map<number, string>();
    const defaults: Record<string, number> = { 'driver.port': DEFAULT_DRIVER_PORT, 'driver.blockManagerPort': DEFAULT_BLOCK_MANAGER_PORT, 'driver.uiPort': DEFAULT_UI_PORT };
    for (const [path, value] of ports) {
      if (value !== undefined && !isInteger(value, 1024, 65535)) {
        this.problems.add(path, value, 'must be a port from 1024 to 65535 (the driver runs as a non-root user)');
        continue;
      }
      const port = (value as number | undefined) ?? defaults[path];
      if (seen.has(port)) this.problems.add(path, port, `clashes with ${seen.get(port)}; the driver's ports must differ`);
      seen.set(port, path);
    }
  }

  private checkExecutorCount(executor: SparkExecutorSpec | undefined, dynamic: SparkApplicationSpec['dynamicAllocation']): void {
    const instances = isRecord(executor) ? executor.instances : undefined;
    this.optional('executor.instances', instances, (v) => (isInteger(v, 0, 100000) ? undefined : 'must be a whole number of executors from 0 to 100000'));
    if (dynamic === undefined) return;
    if (!isRecord(dynamic)) return this.problems.add('dynamicAllocation', dynamic, 'must be an object with at least maxExecutors');
    if (instances !== undefined) {
      this.problems.add('executor.instances', instances, 'conflicts with dynamicAllocation, which decides the executor count; remove it, or use dynamicAllocation.initialExecutors');
    }
    const count = (path: string, value: unknown, min: number) =>
      this.optional(path, value, (v) => (isInteger(v, min, 100000) ? undefined : `must be a whole number from ${min} to 100000`));
    if (dynamic.maxExecutors === undefined) this.problems.missing('dynamicAllocation.maxExecutors', 'is required: an unbounded application can exhaust its namespace; set the most executors it may have');
    count('dynamicAllocation.maxExecutors', dynamic.maxExecutors, 1);
    count('dynamicAllocation.minExecutors', dynamic.minExecutors, 0);
    count('dynamicAllocation.initialExecutors', dynamic.initialExecutors, 0);
    const min = isInteger(dynamic.minExecutors, 0) ? dynamic.minExecutors : 0;
    const max = isInteger(dynamic.maxExecutors, 1) ? dynamic.maxExecutors : undefined;
    if (max !== undefined && min > max) this.problems.add('dynamicAllocation.minExecutors', min, `is above maxExecutors (${max}); lower it or raise maxExecutors`);
    if (isInteger(dynamic.initialExecutors, 0) && (dynamic.initialExecutors < min || (max !== undefined && dynamic.initialExecutors > max))) {
      this.problems.add('dynamicAllocation.initialExecutors', dynamic.initialExecutors, `must lie between minExecutors (${min}) and maxExecutors (${max})`);
    }
    for (const key of ['executorIdleTimeout', 'cachedExecutorIdleTimeout', 'schedulerBacklogTimeout', 'shuffleTrackingTimeout'] as const) {
      this.optional(`dynamicAllocation.${key}`, dynamic[key], (v) => (isSparkDuration(v) ? undefined : 'must be a Spark duration like "60s", "5min" or "500ms"'));
    }
  }

  private checkMonitoring(): void {
    const { spec, problems } = this;
    const monitoring = spec.monitoring;
    if (!isRecord(monitoring)) return problems.add('monitoring', monitoring, 'must be an object, e.g. { prometheus: true }');
    this.optional('monitoring.prometheus', monitoring.prometheus, (v) => (typeof v === 'boolean' ? undefined : 'must be true or false'));
    const push = monitoring.pushgateway;
    if (push === undefined) return;
    if (!isRecord(push)) return problems.add('monitoring.pushgateway', push, 'must be an object with url and image, e.g. { url: "http://prometheus-pushgateway.monitoring.svc:9091", image: "registry.example.com/sparkplane:0.1.0" }');
    if (monitoring.prometheus === false) problems.add('monitoring.prometheus', false, 'turns off the endpoints that monitoring.pushgateway pushes from; remove monitoring.prometheus, or remove monitoring.pushgateway');
    let url: URL | undefined;
    try {
      url = typeof push.url === 'string' ? new URL(push.url) : undefined;
    } catch {
      url = undefined;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.search || url.hash || url.username || url.password) {
      problems.add('monitoring.pushgateway.url', push.url, 'must be the http(s) URL of the Pushgateway, without query or credentials, e.g. "http://prometheus-pushgateway.monitoring.svc:9091"');
    }
    if (imageProblem(push.image)) {
      problems.add('monitoring.pushgateway.image', push.image, 'is required: the sparkplane image you built and pushed (images/README.md), e.g. "registry.example.com/sparkplane:0.1.0"');
    }
    this.pullPolicy('monitoring.pushgateway.imagePullPolicy', push.imagePullPolicy);
    this.optional('monitoring.pushgateway.interval', push.interval, (v) => {
      const ms = sparkDurationMs(v);
      return ms !== undefined && ms >= 1000 ? undefined : 'must be a duration of at least 1 second, e.g. "5s"';
    });
  }

  private checkAllocator(): void {
    const { spec, problems } = this;
    if (!isRecord(spec.allocator)) {
      return problems.add('allocator', spec.allocator, 'must be an object with at least image, e.g. { image: "registry.example.com/sparkplane:0.1.0" }');
    }
    const allocator = spec.allocator;
    if (imageProblem(allocator.image)) {
      problems.add('allocator.image', allocator.image, 'is required: the sparkplane image you built and pushed (images/README.md), e.g. "registry.example.com/sparkplane:0.1.0"');
    }
    this.pullPolicy('allocator.imagePullPolicy', allocator.imagePullPolicy);
    const whole = (min: number, max: number) => (v: unknown) => (isInteger(v, min, max) ? undefined : `must be a whole number from ${min} to ${max}`);
    this.optional('allocator.batchSize', allocator.batchSize, whole(1, 10_000));
    this.optional('allocator.maxPendingPods', allocator.maxPendingPods, whole(1, 2_147_483_647));
    for (const key of ['batchDelay', 'pendingDeadline', 'pendingTimeout', 'failedPodGrace'] as const) {
      this.optional(`allocator.${key}`, allocator[key], (v) => (isSparkDuration(v) ? undefined : 'must be a Spark duration such as "1s", "500ms" or "10min"'));
    }
    this.optional('allocator.cpuRequest', allocator.cpuRequest, (v) => positiveQuantityProblem(v, '"50m"'));
    this.optional('allocator.memory', allocator.memory, (v) => positiveQuantityProblem(v, '"128Mi"'));
    this.optional('allocator.logLevel', allocator.logLevel, (v) => (['debug', 'info', 'warn', 'error'].includes(v as string) ? undefined : 'must be one of debug, info, warn, error'));
    // Keys the option owns only while it is on (without it, a user may pick another allocator).
    const sparkConf = isRecord(spec.sparkConf) ? spec.sparkConf : {};
    for (const [key, prop] of Object.entries(ALLOCATOR_OWNED_SPARK_KEYS)) {
      if (key in sparkConf) problems.add(`sparkConf["${key}"]`, sparkConf[key], `is set by the allocator option; use ${prop} instead`);
    }
  }

  private checkShuffleService(): void {
    const { spec, problems } = this;
    const ref = spec.shuffleService;
    if (!isRecord(ref)) return problems.add('shuffleService', ref, 'must be the ExternalShuffleService (its spec or construct), or a reference with at least applicationNamespaces');
    const before = problems.count;
    new ShuffleRefChecker(problems).checkRef('shuffleService.', ref);
    if (problems.count > before) return;
    const executor: Partial<SparkExecutorSpec> = isRecord(spec.executor) ? spec.executor : {};
    const containers = (path: string, list: unknown) => (Array.isArray(list) ? list : []).map((container, i) => [`${path}[${i}]`, isRecord(container) ? container : {}] as const);
    const extra = [...containers('executor.initContainers', executor.initContainers), ...containers('executor.sidecars', executor.sidecars)];
    const listed = (path: string, list: unknown, field: string) => (Array.isArray(list) ? list : []).map((item, j) => [`${path}[${j}].${field}`, isRecord(item) ? item[field] : undefined] as const);
    const sparkConf = isRecord(spec.sparkConf) ? spec.sparkConf : {};
    checkShuffleClient(ref, {
      namespace: spec.namespace ?? 'default',
      podSecurity: spec.podSecurity ?? 'restricted',
      shuffleTrackingTimeout: isRecord(spec.dynamicAllocation) ? spec.dynamicAllocation.shuffleTrackingTimeout : undefined,
      executorNodeSelector: executor.nodeSelector,
      executorTolerations: executor.tolerations,
      executorUid: containerSecurityContext(isRecord(executor.securityContext) ? executor.securityContext : {}).runAsUser,
      executorEnv: executor.env,
      executorContainerPorts: extra.flatMap(([path, container]) => listed(`${path}.ports`, container.ports, 'containerPort')),
      executorMountPaths: [
        ...listed('executor.volumeMounts', executor.volumeMounts, 'mountPath'),
        ...extra.flatMap(([path, container]) => listed(`${path}.volumeMounts`, container.volumeMounts, 'mountPath')),
        ...Object.entries(sparkConf).filter(([key]) => /^spark\.kubernetes\.executor\.volumes\.[^.]+\.[^.]+\.mount\.path$/.test(key)).map(([key, value]) => [`sparkConf["${key}"]`, value] as const),
      ],
      sparkConf,
    }, problems);
  }

  private checkSparkConf(): void {
    const { spec, problems } = this;
    const custom = spec.customSparkConfKeys;
    if (custom !== undefined && (!Array.isArray(custom) || !custom.every((k) => typeof k === 'string' && k.startsWith('spark.')))) {
      problems.add('customSparkConfKeys', custom, 'must be a list of keys or prefixes starting with "spark." (Spark ignores other keys)');
    }
    const version = sparkVersionProblem(spec.sparkVersion) ? undefined : parseSparkVersion(spec.sparkVersion);
    if (spec.sparkConf !== undefined) {
      if (!isRecord(spec.sparkConf)) problems.add('sparkConf', spec.sparkConf, 'must map Spark keys to string values');
      else for (const [key, value] of Object.entries(spec.sparkConf)) {
        const path = `sparkConf["${key}"]`;
        if (typeof value !== 'string') problems.add(path, value, 'must be a string (Spark reads every value as text)');
        if (!key.startsWith('spark.')) problems.add(path, value, 'Spark ignores keys that do not start with "spark."; for Hadoop settings use hadoopConf');
        else if (key in RESERVED_SPARK_CONF_KEYS) problems.add(path, value, `is rendered from typed props; set ${RESERVED_SPARK_CONF_KEYS[key]} instead`);
        else if (prometheusEnabled(spec.monitoring) && key in MONITORING_OWNED_SPARK_KEYS) problems.add(path, value, `is rendered by monitoring (${MONITORING_OWNED_SPARK_KEYS[key]}); remove it, or set monitoring.prometheus to false`);
        else if (metricsPushEnabled(spec.monitoring) && key.startsWith('spark.metrics.conf.driver.sink.csv.')) problems.add(path, value, 'is rendered by monitoring.pushgateway (the final report the sidecar pushes); remove it, or remove monitoring.pushgateway');
        else if (prometheusEnabled(spec.monitoring) && key === 'spark.ui.enabled' && value === 'false') problems.add(path, value, 'turns off the driver\'s UI, which serves the metrics monitoring exposes; remove it, or set monitoring.prometheus to false');
        else if (key.startsWith('spark.hadoop.')) problems.add(path, value, `set it as hadoopConf["${key.slice('spark.hadoop.'.length)}"]`);
        else if (version) {
          const keyProblem = sparkConfKeyProblem(key, version.line, Array.isArray(custom) ? custom : []);
          if (keyProblem) problems.add(path, value, keyProblem);
        }
      }
    }
    if (spec.hadoopConf !== undefined) {
      if (!isRecord(spec.hadoopConf)) problems.add('hadoopConf', spec.hadoopConf, 'must map Hadoop keys to string values');
      else for (const [key, value] of Object.entries(spec.hadoopConf)) {
        if (typeof value !== 'string') problems.add(`hadoopConf["${key}"]`, value, 'must be a string');
        if (key.startsWith('spark.')) problems.add(`hadoopConf["${key}"]`, value, 'give the Hadoop key itself (e.g. "fs.s3a.endpoint"); sparkplane adds the spark.hadoop. prefix');
        if (!/^[A-Za-z0-9][-A-Za-z0-9_.]*$/.test(key)) problems.add(`hadoopConf["${key}"]`, value, 'is not a Hadoop configuration key');
      }
    }
  }
}
