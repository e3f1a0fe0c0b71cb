// validateExternalShuffleService: every problem of a service spec, collected into one error before
// anything renders. ShuffleRefChecker also checks the reference an application holds.
import { dnsLabelProblem, dnsSubdomainProblem } from '../kube-names';
import {
  imageProblem, isInteger, isRecord, positiveQuantityProblem, PropsChecker, sparkSizeProblem,
} from '../props-checker';
import { sparkDurationMs } from '../quantity';
import { sparkConfKeyProblem } from '../spark/conf-keys';
import { parseSparkVersion, sparkVersionProblem } from '../spark/spark-version';
import { ProblemCollector } from '../validation';
import {
  DEFAULT_JANITOR_METRICS_PORT, DEFAULT_SHUFFLE_PORT, DEFAULT_STATSD_PORT,
} from './layout';
import { MAX_SHUFFLE_SERVICE_NAME_LENGTH } from './resolve';
import type { ExternalShuffleServiceSpec, ShuffleServiceRef } from './spec';

/** Throws `SparkplaneValidationError` listing every problem of `spec`; returns quietly when it is valid. */
export function validateExternalShuffleService(spec: ExternalShuffleServiceSpec): void {
  const problems = new ProblemCollector();
  if (!isRecord(spec)) {
    problems.add('(spec)', spec, 'must be an object with at least sparkVersion, janitorImage and applicationNamespaces');
  } else {
    new ShuffleServiceChecker(spec, problems).check();
  }
  problems.throwIfAny(`ExternalShuffleService ${typeof spec?.name === 'string' ? JSON.stringify(spec.name) : ''}`.trim());
}

/** The checks of a ShuffleServiceRef, under `prefix` ("" for the service itself, "shuffleService." for an application's). */
export class ShuffleRefChecker extends PropsChecker {
  /** Records every problem of `ref`; `otherPorts` (the service's own) join the clash check. */
  public checkRef(prefix: string, ref: ShuffleServiceRef, otherPorts: ReadonlyArray<[string, unknown, number]> = []): void {
    this.optional(`${prefix}hostPath`, ref.hostPath, hostPathProblem);
    const ports: Array<[string, unknown, number]> = [
      [`${prefix}port`, ref.port, DEFAULT_SHUFFLE_PORT],
      [`${prefix}metricsPort`, ref.metricsPort, DEFAULT_JANITOR_METRICS_PORT],
      ...otherPorts,
    ];
    const seen = new Map<number, string>();
    for (const [path, value, fallback] of ports) {
      if (value !== undefined && !isInteger(value, 1024, 65535)) {
        this.problems.add(path, value, 'must be a port from 1024 to 65535 (the service runs as a non-root user)');
        continue;
      }
      const port = (value as number | undefined) ?? fallback;
      if (seen.has(port)) this.problems.add(path, port, `clashes with ${seen.get(port)}; every port of the service is a port of the node (host network), so they must differ`);
      seen.set(port, path);
    }
    this.stringMap(`${prefix}nodeSelector`, ref.nodeSelector, true);
    this.checkTolerations(`${prefix}tolerations`, ref.tolerations);
    const namespaces = ref.applicationNamespaces;
    if (namespaces === undefined) {
      this.problems.missing(`${prefix}applicationNamespaces`, 'is required: the namespaces whose applications use the service (their driver pods are what the janitor reads), or "*" for all');
    } else if (namespaces !== '*') {
      if (!Array.isArray(namespaces) || namespaces.length === 0) {
        this.problems.add(`${prefix}applicationNamespaces`, namespaces, 'must be a non-empty list of namespaces, or "*" for all');
      } else {
        namespaces.forEach((namespace, i) => this.optional(`${prefix}applicationNamespaces[${i}]`, namespace, (v) => dnsLabelProblem(v)));
        const duplicate = namespaces.find((namespace, i) => namespaces.indexOf(namespace) !== i);
        if (duplicate !== undefined) this.problems.add(`${prefix}applicationNamespaces`, namespaces, `lists ${JSON.stringify(duplicate)} twice; list each namespace once`);
      }
    }
  }
}

/** Why `value` cannot be the service's host directory, if it cannot. */
export function hostPathProblem(value: unknown): string | undefined {
  // ":" separates directories in SPARK_EXECUTOR_DIRS; "." and ".." segments would not be the same path in every container.
  if (typeof value !== 'string' || !/^(\/[A-Za-z0-9_.-]+)+$/.test(value) || value.split('/').some((segment) => segment === '.' || segment === '..')) {
    return 'must be an absolute, normalized host path of letters, digits, "_", "-" and ".", e.g. "/var/lib/sparkplane/shuffle"; a dedicated disk mounted there keeps shuffle files off the kubelet\'s disk';
  }
  return undefined;
}

class ShuffleServiceChecker extends ShuffleRefChecker {
  constructor(private readonly spec: ExternalShuffleServiceSpec, problems: ProblemCollector) {
    super(problems);
  }

  public check(): void {
    const { spec, problems } = this;
    this.optional('name', spec.name, (v) => dnsLabelProblem(v, MAX_SHUFFLE_SERVICE_NAME_LENGTH));
    this.optional('namespace', spec.namespace, (v) => dnsLabelProblem(v));
    this.optional('createNamespace', spec.createNamespace, (v) => (typeof v === 'boolean' ? undefined : 'must be true or false'));
    const versionProblem = sparkVersionProblem(spec.sparkVersion);
    if (versionProblem) problems.add('sparkVersion', spec.sparkVersion, versionProblem);
    this.optional('image', spec.image, imageProblem);
    const janitorImageMessage = 'is required: the sparkplane image you built and pushed (images/README.md), e.g. "registry.example.com/sparkplane:0.1.0"';
    if (spec.janitorImage === undefined) problems.missing('janitorImage', janitorImageMessage);
    else this.optional('janitorImage', spec.janitorImage, (v) => (imageProblem(v) ? janitorImageMessage : undefined));
    this.pullPolicy('imagePullPolicy', spec.imagePullPolicy);
    this.nameList('imagePullSecrets', spec.imagePullSecrets);
    this.checkRef('', spec, [['statsdPort', spec.statsdPort, DEFAULT_STATSD_PORT]]);
    this.optional('memory', spec.memory, (v) => sparkSizeProblem(v, 256));
    this.optional('cpuRequest', spec.cpuRequest, (v) => positiveQuantityProblem(v, '"200m"'));
    this.optional('priorityClassName', spec.priorityClassName, (v) => dnsSubdomainProblem(v));
    this.stringMap('labels', spec.labels, true);
    this.checkJanitor();
    this.checkSparkConf();
  }

  private checkJanitor(): void {
    const janitor = this.spec.janitor;
    if (janitor === undefined) return;
    if (!isRecord(janitor)) return this.problems.add('janitor', janitor, 'must be an object, e.g. { grace: "600s" }');
    const duration = (minMs: number, example: string) => (v: unknown) => {
      const ms = sparkDurationMs(v);
      return ms !== undefined && ms >= minMs ? undefined : `must be a Spark duration of at least ${minMs} ms, e.g. ${example}`;
    };
    this.optional('janitor.grace', janitor.grace, duration(0, '"600s"'));
    this.optional('janitor.interval', janitor.interval, duration(100, '"60s"'));
    this.optional('janitor.cpuRequest', janitor.cpuRequest, (v) => positiveQuantityProblem(v, '"20m"'));
    this.optional('janitor.memory', janitor.memory, (v) => positiveQuantityProblem(v, '"128Mi"'));
  }

  private checkSparkConf(): void {
    const { spec, problems } = this;
    if (spec.sparkConf === undefined) return;
    if (!isRecord(spec.sparkConf)) return problems.add('sparkConf', spec.sparkConf, 'must map Spark keys to string values');
    const version = sparkVersionProblem(spec.sparkVersion) ? undefined : parseSparkVersion(spec.sparkVersion);
    for (const [key, value] of Object.entries(spec.sparkConf)) {
      const path = `sparkConf["${key}"]`;
      if (typeof value !== 'string') problems.add(path, value, 'must be a string (Spark reads every value as text)');
      const owner = SERVICE_RENDERED_SPARK_KEYS[key] ?? (key.startsWith('spark.metrics.conf.shuffleService.sink.statsd.') ? 'nothing: the janitor relays these metrics' : undefined);
      if (owner) problems.add(path, value, `is rendered by the service; set ${owner}`);
      else if (version) {
        // The service loads no plugins: an unknown key is a typo, not a custom key.
        const keyProblem = sparkConfKeyProblem(key, version.line);
        if (keyProblem) problems.add(path, value, keyProblem.replace(/ If a plugin reads it.*$/, ''));
      }
    }
  }
}

/** The Spark keys the service's configuration renders, with the prop to use instead. */
export const SERVICE_RENDERED_SPARK_KEYS: Readonly<Record<string, string>> = {
  'spark.shuffle.service.enabled': 'nothing: the service always enables itself',
  'spark.shuffle.service.port': 'port',
  'spark.local.dir': 'hostPath (the database lives under <hostPath>/state)',
  'spark.shuffle.service.db.backend': 'nothing: it is ROCKSDB on every line, so an upgrade from 3.5 keeps the database',
};

