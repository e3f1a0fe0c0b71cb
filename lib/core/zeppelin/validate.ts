// validateZeppelin: every problem of a Zeppelin spec, collected into one error before anything
// renders. The Spark interpreter's settings are checked by the SparkApplication validation itself
// (the interpreter runs as that application), with their paths under `spark.`.
import { dnsLabelProblem, dnsSubdomainProblem } from '../kube-names';
import { metricsPushEnabled, prometheusEnabled } from '../monitoring/spark-metrics';
import { imageProblem, isRecord, positiveQuantityProblem, PropsChecker } from '../props-checker';
import { sparkDurationMs } from '../quantity';
import { validateSparkApplication } from '../spark-application/validate';
import { SparkplaneValidationError, ProblemCollector } from '../validation';
import { MAX_ZEPPELIN_NAME_LENGTH, ZEPPELIN_SPARK_INTERPRETERS, ZEPPELIN_SPARK_VERSION_RANGE, ZEPPELIN_VERSION } from './layout';
import { interpreterApplicationSpec } from './spark-interpreter';
import type { ZeppelinSecretKey, ZeppelinSpec } from './spec';

const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/** Throws `SparkplaneValidationError` listing every problem of `spec`; returns quietly when it is valid. */
export function validateZeppelin(spec: ZeppelinSpec): void {
  const problems = new ProblemCollector();
  if (!isRecord(spec)) problems.add('(spec)', spec, 'must be an object with at least name, auth and spark');
  else new ZeppelinChecker(spec, problems).check();
  problems.throwIfAny(`Zeppelin ${typeof spec?.name === 'string' ? JSON.stringify(spec.name) : ''}`.trim());
}

/** Compares dotted versions numerically. */
function compareVersions(a: string, b: string): number {
  const [x, y] = [a, b].map((v) => v.split('-')[0].split('.').map(Number));
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

class ZeppelinChecker extends PropsChecker {
  constructor(private readonly spec: ZeppelinSpec, problems: ProblemCollector) {
    super(problems);
  }

  public check(): void {
    const { spec, problems } = this;
    const nameProblem = dnsLabelProblem(spec.name, MAX_ZEPPELIN_NAME_LENGTH);
    if (nameProblem) problems.add('name', spec.name, `${nameProblem}; the name prefixes every object`);
    this.optional('namespace', spec.namespace, (v) => dnsLabelProblem(v));
    this.optional('image', spec.image, imageProblem);
    if (spec.sparkplaneImage === undefined) problems.missing('sparkplaneImage', 'is required: the sparkplane image you built and pushed (images/README.md), which writes the interpreter settings; e.g. "registry.example.com/sparkplane:0.1.0"');
    else this.optional('sparkplaneImage', spec.sparkplaneImage, imageProblem);
    this.pullPolicy('imagePullPolicy', spec.imagePullPolicy);
    this.nameList('imagePullSecrets', spec.imagePullSecrets);
    this.optional('storageSize', spec.storageSize, (v) => positiveQuantityProblem(v, '"10Gi"'));
    this.optional('storageClassName', spec.storageClassName, (v) => dnsSubdomainProblem(v));
    this.optional('cpuRequest', spec.cpuRequest, (v) => positiveQuantityProblem(v, '"500m"'));
    this.optional('memory', spec.memory, (v) => positiveQuantityProblem(v, '"2Gi"'));
    this.optional('interpreterIdleTimeout', spec.interpreterIdleTimeout, (v) => ((sparkDurationMs(v) ?? 0) >= 60_000 ? undefined : 'must be a Spark duration of at least a minute, e.g. "1h" or "30min"'));
    this.optional('interpreterStartTimeout', spec.interpreterStartTimeout, (v) => ((sparkDurationMs(v) ?? 0) >= 10_000 ? undefined : 'must be a Spark duration of at least 10 s, e.g. "10min"'));
    this.stringMap('labels', spec.labels, true);
    this.stringMap('nodeSelector', spec.nodeSelector, true);
    this.checkTolerations('tolerations', spec.tolerations);
    if (spec.webPeers !== undefined) this.networkPeers('webPeers', spec.webPeers, false);
    if (spec.metricsPeers !== undefined) this.networkPeers('metricsPeers', spec.metricsPeers, false);
    if (isRecord(spec.spark) && prometheusEnabled(spec.spark.monitoring) && !metricsPushEnabled(spec.spark.monitoring) && !spec.metricsPeers?.length) {
      problems.missing('metricsPeers', 'is required with spark.monitoring: the interpreter\'s NetworkPolicy admits only the server on its UI port, so name who scrapes it, e.g. [{ namespaceLabels: { "kubernetes.io/metadata.name": "monitoring" }, podLabels: { "app.kubernetes.io/name": "prometheus" } }]');
    }
    this.checkAuth();
    this.checkStorage();
    this.checkIngress();
    this.checkSpark();
  }

  private secretKey(path: string, ref: unknown, what: string): void {
    if (!isRecord(ref)) return this.problems.add(path, ref, `must be { secretName, key }: the Secret (in Zeppelin's namespace) and key holding ${what}`);
    const ok = ref as unknown as ZeppelinSecretKey;
    if (ok.secretName === undefined) this.problems.missing(`${path}.secretName`, `is required: the Secret holding ${what}`);
    else this.optional(`${path}.secretName`, ok.secretName, (v) => dnsSubdomainProblem(v));
    if (ok.key === undefined) this.problems.missing(`${path}.key`, `is required: the key of the Secret holding ${what}`);
    else this.optional(`${path}.key`, ok.key, (v) => (typeof v === 'string' && SECRET_KEY.test(v) ? undefined : 'must be a Secret key (letters, digits, "-", "_" and ".")'));
  }

  private checkAuth(): void {
    const { auth } = this.spec;
    const choices = 'users: { secretName, key } (Shiro users), shiroIni: { secretName, key } (a whole shiro.ini, e.g. for LDAP or OIDC), or allowAnonymousAccessByAnyoneWhoCanReachZeppelin: true';
    if (auth === undefined) return this.problems.missing('auth', `is required: Zeppelin runs code for whoever reaches it; give ${choices}`);
    if (!isRecord(auth)) return this.problems.add('auth', auth, `must be an object with one of ${choices}`);
    const anonymous = auth.allowAnonymousAccessByAnyoneWhoCanReachZeppelin;
    if (anonymous !== undefined && typeof anonymous !== 'boolean') this.problems.add('auth.allowAnonymousAccessByAnyoneWhoCanReachZeppelin', anonymous, 'must be true or false');
    const given = [auth.users !== undefined && 'users', auth.shiroIni !== undefined && 'shiroIni', anonymous === true && 'allowAnonymousAccessByAnyoneWhoCanReachZeppelin'].filter(Boolean);
    if (given.length === 0) this.problems.add('auth', auth, `names no authentication: give ${choices}`);
    if (given.length > 1) this.problems.add('auth', auth, `gives ${given.join(' and ')}; give exactly one`);
    if (auth.users !== undefined) this.secretKey('auth.users', auth.users, 'the Shiro [users] lines ("alice = password, admin")');
    if (auth.shiroIni !== undefined) this.secretKey('auth.shiroIni', auth.shiroIni, 'shiro.ini');
  }

  private checkStorage(): void {
    const storage = this.spec.notebookStorage;
    if (storage === undefined) return;
    if (!isRecord(storage)) return this.problems.add('notebookStorage', storage, 'must be { git } or { s3 }');
    if (storage.git !== undefined && storage.s3 !== undefined) this.problems.add('notebookStorage', storage, 'gives both git and s3; Zeppelin keeps notebooks in one place: give one');
    const { git, s3 } = storage;
    if (git !== undefined) {
      if (!isRecord(git)) this.problems.add('notebookStorage.git', git, 'must be { remoteUrl, accessToken: { secretName, key } }');
      else {
        if (typeof git.remoteUrl !== 'string' || !/^https:\/\/\S+$/.test(git.remoteUrl)) this.problems.add('notebookStorage.git.remoteUrl', git.remoteUrl, 'must be the remote\'s https:// URL (the token is sent over it)');
        this.secretKey('notebookStorage.git.accessToken', git.accessToken, 'the Git access token');
        this.optional('notebookStorage.git.username', git.username, (v) => (typeof v === 'string' && v ? undefined : 'must be a non-empty string'));
        this.optional('notebookStorage.git.origin', git.origin, (v) => (typeof v === 'string' && /^[A-Za-z0-9._-]+$/.test(v) ? undefined : 'must be a Git remote name, e.g. "origin"'));
      }
    }
    if (s3 !== undefined) {
      if (!isRecord(s3)) this.problems.add('notebookStorage.s3', s3, 'must be { bucket, endpoint?, credentialsSecret? }');
      else {
        if (typeof s3.bucket !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(s3.bucket)) this.problems.add('notebookStorage.s3.bucket', s3.bucket, 'must be an S3 bucket name (3-63 lower-case letters, digits, "." and "-")');
        this.optional('notebookStorage.s3.endpoint', s3.endpoint, (v) => (typeof v === 'string' && /^\S+$/.test(v) ? undefined : 'must be a host name or URL, e.g. "minio.storage.svc:9000"'));
        this.optional('notebookStorage.s3.user', s3.user, (v) => (typeof v === 'string' && /^[^/\s]+$/.test(v) ? undefined : 'must be a folder name without "/" or blanks'));
        this.optional('notebookStorage.s3.credentialsSecret', s3.credentialsSecret, (v) => dnsSubdomainProblem(v));
        this.optional('notebookStorage.s3.pathStyleAccess', s3.pathStyleAccess, (v) => (typeof v === 'boolean' ? undefined : 'must be true or false'));
      }
    }
  }

  private checkIngress(): void {
    const ingress = this.spec.ingress;
    if (ingress === undefined) return;
    if (!isRecord(ingress)) return this.problems.add('ingress', ingress, 'must be { host, tlsSecretName }');
    if (ingress.host === undefined) this.problems.missing('ingress.host', 'is required: the host name users open');
    else this.optional('ingress.host', ingress.host, (v) => dnsSubdomainProblem(v));
    if (ingress.tlsSecretName === undefined) this.problems.missing('ingress.tlsSecretName', 'is required: Zeppelin\'s login sends passwords, so the Ingress serves TLS only; name the Secret with the certificate (cert-manager can make it)');
    else this.optional('ingress.tlsSecretName', ingress.tlsSecretName, (v) => dnsSubdomainProblem(v));
    this.optional('ingress.className', ingress.className, (v) => dnsSubdomainProblem(v));
    this.stringMap('ingress.annotations', ingress.annotations, false);
  }

  /**
   * A Spark value reaches spark-submit through the launcher's ZEPPELIN_SPARK_CONF, which
   * interpreter.sh splits on "|", in an env var Jinjava renders again when it holds template syntax.
   */
  private checkLauncherText(path: string, value: unknown): void {
    if (typeof value !== 'string') return;
    if (value.includes('|')) this.problems.add(path, value, 'contains "|", which Zeppelin\'s interpreter.sh uses to split the Spark configuration; it cannot be passed to a notebook\'s Spark');
    if (/\{[{%]/.test(value)) this.problems.add(path, value, 'contains "{{" or "{%", which Zeppelin\'s launcher (Jinjava) would evaluate as a template; it cannot be passed to a notebook\'s Spark');
  }

  private checkSpark(): void {
    const { spec, problems } = this;
    const spark = spec.spark;
    if (spark === undefined) return problems.missing('spark', 'is required: the Spark interpreter\'s settings, at least { sparkVersion }');
    if (!isRecord(spark)) return problems.add('spark', spark, 'must be an object with at least sparkVersion');
    const version = spark.sparkVersion;
    const { from, until } = ZEPPELIN_SPARK_VERSION_RANGE;
    if (typeof version === 'string' && /^\d+\.\d+\.\d+/.test(version) && (compareVersions(version, from) < 0 || compareVersions(version, until) >= 0)) {
      problems.add('spark.sparkVersion', version, `is not supported by Zeppelin ${ZEPPELIN_VERSION}'s Spark interpreter, which refuses Spark before ${from} and from ${until} on (SparkVersion.java); use a 3.5.x or 4.0.x release`);
    }
    if ((spark as Record<string, unknown>).shuffleService !== undefined) {
      // K8sRemoteInterpreterProcess sets spark.blockManager.port=22322 in the interpreter's
      // properties, and SparkInterpreter.open applies them to the SparkConf executors inherit.
      problems.add('spark.shuffleService', '(a shuffle service)', `cannot be used by Zeppelin ${ZEPPELIN_VERSION}'s Spark interpreter: its launcher fixes spark.blockManager.port to 22322 for the executors too, and on the host network that port fits one executor per node; notebooks scale executors with dynamic allocation and shuffle tracking instead (remove shuffleService)`);
    }
    if (spark.interpreters !== undefined) {
      if (!Array.isArray(spark.interpreters) || spark.interpreters.length === 0) problems.add('spark.interpreters', spark.interpreters, `must be a non-empty list of ${ZEPPELIN_SPARK_INTERPRETERS.join(', ')}`);
      else spark.interpreters.forEach((name, i) => {
        if (!(ZEPPELIN_SPARK_INTERPRETERS as readonly unknown[]).includes(name)) {
          problems.add(`spark.interpreters[${i}]`, name, `is not an interpreter of Zeppelin's Spark group; use one of ${ZEPPELIN_SPARK_INTERPRETERS.join(', ')}`);
        }
      });
    }
    for (const field of ['sparkConf', 'hadoopConf'] as const) {
      const conf = spark[field];
      if (isRecord(conf)) for (const [key, value] of Object.entries(conf)) this.checkLauncherText(`spark.${field}["${key}"]`, value);
    }
    for (const field of ['jars', 'files', 'pyFiles'] as const) {
      const list = spark[field];
      if (Array.isArray(list)) list.forEach((item, i) => this.checkLauncherText(`spark.${field}[${i}]`, item));
    }
    try {
      validateSparkApplication(interpreterApplicationSpec(spec));
    } catch (error) {
      if (!(error instanceof SparkplaneValidationError)) throw error;
      // The name and namespace are Zeppelin's own, checked above.
      for (const problem of error.problems) {
        if (problem.path === 'name' || problem.path === 'namespace') continue;
        if ('value' in problem) problems.add(`spark.${problem.path}`, problem.value, problem.message);
        else problems.missing(`spark.${problem.path}`, problem.message);
      }
    }
  }
}
