import { renderSparkApplication, SparkplaneValidationError, validateSparkApplication, type SparkApplicationSpec } from '../../lib/core';
import { minimalSpec } from '../support/specs';

/** The problems validation reports for `spec`, as "path: message" lines. */
function problemsOf(spec: unknown): Array<{ path: string; message: string; value?: unknown }> {
  try {
    validateSparkApplication(spec as SparkApplicationSpec);
  } catch (error) {
    expect(error).toBeInstanceOf(SparkplaneValidationError);
    return [...(error as SparkplaneValidationError).problems];
  }
  return [];
}

function expectProblem(overrides: Record<string, unknown>, path: string, message: RegExp) {
  const problems = problemsOf({ ...minimalSpec, ...overrides });
  expect(problems.map((p) => p.path)).toContain(path);
  expect(problems.find((p) => p.path === path)!.message).toMatch(message);
}

describe('SparkApplication validation', () => {
  it('accepts the minimal spec', () => {
    expect(problemsOf(minimalSpec)).toEqual([]);
  });

  it('reports every problem at once, naming the property, the value and the fix', () => {
    let error: SparkplaneValidationError | undefined;
    try {
      renderSparkApplication({ ...minimalSpec, name: 'Spark_Pi', sparkVersion: '2.4.8', executor: { memory: 'lots' } });
    } catch (e) {
      error = e as SparkplaneValidationError;
    }
    expect(error?.problems.map((p) => p.path)).toEqual(['name', 'sparkVersion', 'executor.memory']);
    expect(error?.message).toContain('name = "Spark_Pi": must consist of lower-case letters');
    expect(error?.message).toContain('sparkVersion = "2.4.8": Spark 2.4 is not supported');
    expect(error?.message).toContain('executor.memory = "lots": must be a Spark size');
  });

  it.each([
    [{ name: 'a'.repeat(35) }, 'name', /at most 34 characters/],
    [{ namespace: 'Data' }, 'namespace', /lower-case/],
    [{ sparkVersion: '4.0' }, 'sparkVersion', /full Spark version like "4\.0\.2"/],
    [{ sparkVersion: '5.0.0' }, 'sparkVersion', /not supported/],
    [{ mainClass: undefined }, 'mainClass', /needs its fully qualified main class/],
    [{ mainApplicationFile: 'local:///app/job.py', type: 'Python' }, 'mainClass', /has no main class/],
    [{ mainClass: undefined, type: 'Python', mainApplicationFile: 'local:///app/job.jar' }, 'mainApplicationFile', /must end in \.py/],
    [{ mainApplicationFile: '' }, 'mainApplicationFile', /URI of the jar/],
    [{ type: 'Go' }, 'type', /Java, Scala, Python, R/],
    [{ image: 'apache/spark 4.0.2' }, 'image', /without blanks/],
    [{ imagePullPolicy: 'Sometimes' }, 'imagePullPolicy', /Always, IfNotPresent, Never/],
    [{ driver: { cores: 0.5 } }, 'driver.cores', /whole number of cores.*coreRequest/],
    [{ driver: { memory: '256m' } }, 'driver.memory', /at least 512m/],
    [{ executor: { memory: '400m' } }, 'executor.memory', /at least 450m/],
    [{ executor: { coreRequest: '2', coreLimit: '1' } }, 'executor.coreLimit', /below the CPU request/],
    [{ executor: { coreRequest: 'lots' } }, 'executor.coreRequest', /Kubernetes quantity/],
    [{ executor: { ephemeralStorage: '-1Gi' } }, 'executor.ephemeralStorage', /positive Kubernetes quantity/],
    [{ executor: { instances: -1 } }, 'executor.instances', /whole number of executors/],
    [{ driver: { port: 80 } }, 'driver.port', /1024 to 65535/],
    [{ driver: { uiPort: 7078 } }, 'driver.uiPort', /clashes with driver.port/],
    [{ driver: { retries: 1.5 } }, 'driver.retries', /whole number/],
    [{ driver: { env: { SPARK_DRIVER_POD_NAME: 'x' } } }, 'driver.env["SPARK_DRIVER_POD_NAME"]', /set by sparkplane/],
    [{ driver: { env: { '1BAD': 'x' } } }, 'driver.env["1BAD"]', /C identifier/],
    [{ driver: { env: { A: 'x' }, secretEnv: { A: { secretName: 's', key: 'k' } } } }, 'driver.secretEnv["A"]', /set twice/],
    [{ driver: { secretEnv: { A: { secretName: 'S!', key: 'k' } } } }, 'driver.secretEnv["A"]', /secretName/],
    [{ labels: { 'team': 'a b' } }, 'labels["team"]', /alphanumerics/],
    [{ executor: { labels: { 'bad key!': 'x' } } }, 'executor.labels["bad key!"]', /key name part/],
    [{ executor: { tolerations: [{ key: 'k', operator: 'Exists', value: 'v' }] } }, 'executor.tolerations[0].value', /empty with operator "Exists"/],
    [{ executor: { tolerations: [{ operator: 'Equal', value: 'v' }] } }, 'executor.tolerations[0].key', /is required unless operator is "Exists"/],
    [{ executor: { volumeMounts: [{ name: 'data', mountPath: '/data' }] } }, 'executor.volumeMounts[0].name', /names no volume/],
    [{ volumes: [{ name: 'data', emptyDir: {} }], executor: { volumeMounts: [{ name: 'data', mountPath: '/tmp' }] } }, 'executor.volumeMounts[0].mountPath', /used by sparkplane/],
    [{ volumes: [{ name: 'data', emptyDir: {}, secret: { secretName: 's' } }] }, 'volumes[0]', /exactly one source/],
    [{ volumes: [{ name: 'spark-conf', emptyDir: {} }] }, 'volumes[0].name', /used by sparkplane or Spark/],
    [{ volumes: [{ name: 'a', emptyDir: {} }, { name: 'a', emptyDir: {} }] }, 'volumes[1].name', /unique/],
    [{ volumes: [{ name: 'nfs', nfs: { server: 'x', path: '/' } }] }, 'volumes[0].nfs', /not a supported volume source/],
    [{ volumes: [{ name: 'host', hostPath: { path: '/var/data' } }] }, 'volumes[0].hostPath', /podSecurity to "privileged"/],
    [{ executor: { sidecars: [{ name: 'spark-executor', image: 'x' }] } }, 'executor.sidecars[0].name', /unique/],
    [{ executor: { sidecars: [{ name: 'root', image: 'x', securityContext: { runAsUser: 0 } }] } }, 'executor.sidecars[0].securityContext.runAsUser', /podSecurity/],
    [{ driver: { securityContext: { privileged: true } } }, 'driver.securityContext.privileged', /"privileged"/],
    [{ driver: { securityContext: { capabilities: { add: ['NET_ADMIN'] } } } }, 'driver.securityContext.capabilities.add', /privileged/],
    [{ dynamicAllocation: { minExecutors: 5, maxExecutors: 2 } }, 'dynamicAllocation.minExecutors', /above maxExecutors/],
    [{ dynamicAllocation: { minExecutors: 1 } }, 'dynamicAllocation.maxExecutors', /is required/],
    [{ dynamicAllocation: { maxExecutors: 4, initialExecutors: 9 } }, 'dynamicAllocation.initialExecutors', /between minExecutors/],
    [{ dynamicAllocation: { maxExecutors: 4, executorIdleTimeout: 'a minute' } }, 'dynamicAllocation.executorIdleTimeout', /Spark duration/],
    [{ dynamicAllocation: { maxExecutors: 4 }, executor: { instances: 3 } }, 'executor.instances', /conflicts with dynamicAllocation/],
    [{ sparkConf: { 'spark.kubernetes.namespace': 'x' } }, 'sparkConf["spark.kubernetes.namespace"]', /set namespace instead/],
    [{ sparkConf: { 'spark.executor.memory': '4g' } }, 'sparkConf["spark.executor.memory"]', /set executor.memory instead/],
    [{ sparkConf: { 'spark.hadoop.fs.s3a.endpoint': 'x' } }, 'sparkConf["spark.hadoop.fs.s3a.endpoint"]', /hadoopConf\["fs\.s3a\.endpoint"\]/],
    [{ sparkConf: { 'fs.defaultFS': 'x' } }, 'sparkConf["fs.defaultFS"]', /do not start with "spark\."/],
    [{ sparkConf: { 'spark.sql.shuffle.partitions': 200 } }, 'sparkConf["spark.sql.shuffle.partitions"]', /must be a string/],
    [{ hadoopConf: { 'spark.hadoop.x': 'y' } }, 'hadoopConf["spark.hadoop.x"]', /Hadoop key itself/],
    [{ customSparkConfKeys: ['my.plugin.'] }, 'customSparkConfKeys', /starting with "spark\."/],
    [{ podSecurity: 'open' }, 'podSecurity', /restricted, baseline, privileged/],
  ])('rejects %j at %s', (overrides, path, message) => expectProblem(overrides as Record<string, unknown>, path as string, message as RegExp));

  it('allows hostPath volumes once podSecurity is "privileged"', () => {
    expect(problemsOf({ ...minimalSpec, podSecurity: 'privileged', volumes: [{ name: 'host', hostPath: { path: '/var/data' } }] })).toEqual([]);
  });

  it('reports wrong types as problems, not crashes', () => {
    for (const spec of [null, 42, 'spark', [], { name: 7 }, { ...minimalSpec, driver: 'big' }, { ...minimalSpec, volumes: {} }, { ...minimalSpec, sparkConf: [] }]) {
      expect(problemsOf(spec).length).toBeGreaterThan(0);
    }
  });
});

describe('Spark configuration keys', () => {
  it('accepts real keys of the targeted line, and key families Spark reads by prefix', () => {
    expect(problemsOf({ ...minimalSpec, sparkConf: {
      'spark.sql.shuffle.partitions': '64',
      'spark.kubernetes.executor.annotation.example.com/team': 'data',
      'spark.executorEnv.TZ': 'UTC',
      'spark.kubernetes.driverEnv.TZ': 'UTC',
    } })).toEqual([]);
  });

  it('rejects a typo with a "did you mean" suggestion', () => {
    expectProblem({ sparkConf: { 'spark.sql.shufle.partitions': '64' } }, 'sparkConf["spark.sql.shufle.partitions"]', /did you mean "spark\.sql\.shuffle\.partitions"\?/);
  });

  it('rejects an unknown key, pointing at customSparkConfKeys', () => {
    expectProblem({ sparkConf: { 'spark.myplugin.level': '3' } }, 'sparkConf["spark.myplugin.level"]', /customSparkConfKeys/);
  });

  it('rejects keys Spark deprecated to no effect, or removed', () => {
    expectProblem({ sparkConf: { 'spark.executor.port': '7000' } }, 'sparkConf["spark.executor.port"]', /deprecated since Spark 2\.0\.0 and has no effect/);
    expectProblem({ sparkConf: { 'spark.sql.fromJsonForceNullableSchema': 'false' } }, 'sparkConf["spark.sql.fromJsonForceNullableSchema"]', /removed in Spark 3\.0\.0/);
  });

  it('points at the Spark lines where a key does exist', () => {
    expectProblem({ sparkVersion: '3.5.8', sparkConf: { 'spark.api.mode': 'classic' } }, 'sparkConf["spark.api.mode"]', /exists in Spark 4\.0, 4\.1, 4\.2, 4\.3/);
  });

  it('accepts the old names Spark still maps to a current key', () => {
    expect(problemsOf({ ...minimalSpec, sparkConf: { 'spark.blacklist.enabled': 'true' } })).toEqual([]);
  });

  it('allows keys declared custom, exactly or by prefix', () => {
    expect(problemsOf({ ...minimalSpec, sparkConf: { 'spark.myplugin.level': '3', 'spark.other.a': '1' }, customSparkConfKeys: ['spark.myplugin.level', 'spark.other.'] })).toEqual([]);
  });
});
