// Thousands of random specs through the core: each must render schema-valid objects or raise one
// clean SparkplaneValidationError. Never a crash, never a half-rendered result.
import fc from 'fast-check';
import { parse } from 'yaml';
import { renderSparkApplication, SparkplaneValidationError } from '../../lib/core';
import { validateAll } from '../support/kube-schema';

const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
const name = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,45}[a-z0-9]$/), fc.string({ maxLength: 12 }));
const sparkSize = fc.oneof(fc.integer({ min: 0, max: 70000 }).map((n) => `${n}m`), fc.integer({ min: 0, max: 64 }).map((n) => `${n}g`), fc.string({ maxLength: 4 }));
const quantity = fc.oneof(fc.integer({ min: 1, max: 64000 }).map((n) => `${n}m`), fc.integer({ min: 0, max: 64 }).map(String), fc.string({ maxLength: 4 }));
const labels = maybe(fc.dictionary(fc.stringMatching(/^[a-z]([a-z0-9.-]{0,10}\/)?[a-z0-9]{1,8}$/), fc.oneof(fc.stringMatching(/^[a-z0-9]{0,10}$/), fc.string({ maxLength: 5 })), { maxKeys: 3 }));
const env = maybe(fc.dictionary(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/), fc.string({ maxLength: 10 }), { maxKeys: 3 }));
const volumes = maybe(fc.array(fc.record({
  name: fc.constantFrom('data', 'cache', 'certs', 'spark-tmp', 'Bad'),
  kind: fc.constantFrom('emptyDir', 'configMap', 'secret', 'persistentVolumeClaim', 'hostPath'),
}).map(({ name: volumeName, kind }) => ({
  name: volumeName,
  ...({ emptyDir: { emptyDir: {} }, configMap: { configMap: { name: 'cm' } }, secret: { secret: { secretName: 's' } }, persistentVolumeClaim: { persistentVolumeClaim: { claimName: 'c' } }, hostPath: { hostPath: { path: '/x' } } } as any)[kind],
})), { maxLength: 3 }));
const pod = (extra: Record<string, fc.Arbitrary<unknown>> = {}) => maybe(fc.record({
  cores: maybe(fc.oneof(fc.integer({ min: -1, max: 16 }), fc.double())),
  coreRequest: maybe(quantity),
  coreLimit: maybe(quantity),
  memory: maybe(sparkSize),
  memoryOverhead: maybe(sparkSize),
  ephemeralStorage: maybe(fc.constantFrom('10Gi', '1', 'x')),
  labels,
  annotations: labels,
  env,
  nodeSelector: labels,
  volumeMounts: maybe(fc.array(fc.record({ name: fc.constantFrom('data', 'cache', 'nope'), mountPath: fc.constantFrom('/data', '/tmp', 'relative') }), { maxLength: 2 })),
  sidecars: maybe(fc.array(fc.record({ name: fc.constantFrom('shipper', 'spark-driver', 'spark-executor', 'X'), image: fc.constantFrom('busybox:1', 'bad image') }), { maxLength: 2 })),
  ...extra,
}, { requiredKeys: [] }));
const confKey = fc.constantFrom('spark.sql.shuffle.partitions', 'spark.serializer', 'spark.sql.adaptive.enabled', 'spark.not.a.key', 'spark.executor.memory', 'spark.kubernetes.executor.label.team', 'fs.defaultFS');
const spec = fc.record({
  name,
  namespace: maybe(name),
  sparkVersion: fc.constantFrom('3.5.8', '4.0.2', '4.1.1', '4.2.0', '4.3.0', '2.4.8', 'latest'),
  type: maybe(fc.constantFrom('Java', 'Scala', 'Python', 'R', 'Go')),
  mainClass: maybe(fc.constantFrom('org.example.Main', 'not a class')),
  mainApplicationFile: fc.constantFrom('local:///app/app.jar', 'local:///app/job.py', 'local:///app/job.R', ''),
  arguments: maybe(fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 })),
  image: maybe(fc.constantFrom('apache/spark:4.0.2', 'my image')),
  imagePullSecrets: maybe(fc.array(name, { maxLength: 2 })),
  driver: pod({ retries: maybe(fc.integer({ min: -1, max: 10 })), port: maybe(fc.integer({ min: 0, max: 70000 })), uiPort: maybe(fc.constantFrom(4040, 7078)) }),
  executor: pod({ instances: maybe(fc.integer({ min: -1, max: 50 })) }),
  dynamicAllocation: maybe(fc.record({ minExecutors: maybe(fc.integer({ min: -1, max: 10 })), maxExecutors: maybe(fc.integer({ min: 0, max: 20 })), executorIdleTimeout: maybe(fc.constantFrom('60s', 'soon')) }, { requiredKeys: [] })),
  volumes,
  sparkConf: maybe(fc.dictionary(confKey, fc.constantFrom('1', 'true'), { maxKeys: 3 })),
  hadoopConf: maybe(fc.dictionary(fc.constantFrom('fs.s3a.endpoint', 'spark.x'), fc.constant('v'), { maxKeys: 2 })),
  podSecurity: maybe(fc.constantFrom('restricted', 'baseline', 'privileged', 'none')),
  labels,
}, { requiredKeys: ['name', 'sparkVersion', 'mainApplicationFile'] });

describe('random specs', () => {
  it('render schema-valid objects or fail validation cleanly', () => {
    let valid = 0;
    let invalid = 0;
    fc.assert(
      fc.property(spec, (candidate) => {
        let objects;
        try {
          objects = renderSparkApplication(candidate as any);
        } catch (error) {
          if (!(error instanceof SparkplaneValidationError)) throw error;
          expect(error.problems.length).toBeGreaterThan(0);
          for (const problem of error.problems) expect(problem.path).not.toBe('');
          invalid++;
          return;
        }
        validateAll(objects, parse);
        valid++;
      }),
      { numRuns: 3000, seed: Number(process.env.FC_SEED ?? 20261125) },
    );
    // The generator must exercise both outcomes, or the property proves little.
    expect(valid).toBeGreaterThan(100);
    expect(invalid).toBeGreaterThan(100);
  });
});
