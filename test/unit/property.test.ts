// Thousands of random specs through the core: each must render schema-valid objects or raise one
// clean SparkplaneValidationError. Never a crash, never a half-rendered result.
import fc from 'fast-check';
import { parse } from 'yaml';
import { renderSparkApplication, SparkplaneValidationError } from '../../lib/core';
import { validateAll } from '../support/kube-schema';

const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined, freq: 2 });
/** Mostly a valid value, sometimes a bad one: so that many whole specs are valid, and many are not. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<U>) => fc.oneof({ arbitrary: valid, weight: 19 }, { arbitrary: invalid, weight: 1 });
const dnsName = fc.stringMatching(/^[a-z][a-z0-9-]{0,30}[a-z0-9]$/);
const name = mostly(dnsName, fc.oneof(fc.string({ maxLength: 12 }), fc.stringMatching(/^[a-z]{41,50}$/)));
const sparkSize = mostly(fc.oneof(fc.integer({ min: 512, max: 70000 }).map((n) => `${n}m`), fc.integer({ min: 1, max: 64 }).map((n) => `${n}g`)), fc.oneof(fc.string({ maxLength: 4 }), fc.constant('100m')));
const quantity = mostly(fc.oneof(fc.integer({ min: 1, max: 64000 }).map((n) => `${n}m`), fc.integer({ min: 1, max: 64 }).map(String)), fc.string({ maxLength: 4 }));
const labelMap = maybe(fc.dictionary(
  mostly(fc.stringMatching(/^([a-z]{1,8}\.[a-z]{2,3}\/)?[a-z][a-z0-9]{0,8}$/), fc.string({ maxLength: 5 })),
  mostly(fc.stringMatching(/^[a-z0-9]{0,10}$/), fc.string({ maxLength: 5 })),
  { maxKeys: 3 },
));
const env = maybe(fc.dictionary(mostly(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/), fc.constant('1X')), fc.string({ maxLength: 10 }), { maxKeys: 3 }));
const volumeSources: Record<string, unknown> = {
  emptyDir: { emptyDir: {} }, configMap: { configMap: { name: 'cm' } }, secret: { secret: { secretName: 's' } },
  persistentVolumeClaim: { persistentVolumeClaim: { claimName: 'c' } }, hostPath: { hostPath: { path: '/x' } },
};
const volumes = maybe(fc.uniqueArray(fc.record({
  name: mostly(fc.constantFrom('data', 'cache', 'certs'), fc.constantFrom('spark-tmp', 'Bad')),
  kind: mostly(fc.constantFrom('emptyDir', 'configMap', 'secret', 'persistentVolumeClaim'), fc.constant('hostPath')),
}), { maxLength: 3, selector: (v) => v.name }).map((list) => list.map(({ name: volumeName, kind }) => ({ name: volumeName, ...(volumeSources[kind] as object) }))));
const pod = (extra: Record<string, fc.Arbitrary<unknown>> = {}) => maybe(fc.record({
  cores: maybe(mostly(fc.integer({ min: 1, max: 16 }), fc.oneof(fc.integer({ min: -1, max: 0 }), fc.double()))),
  coreRequest: maybe(quantity),
  coreLimit: maybe(quantity),
  memory: maybe(sparkSize),
  memoryOverhead: maybe(sparkSize),
  ephemeralStorage: maybe(mostly(fc.constantFrom('10Gi', '1'), fc.constant('x'))),
  labels: labelMap,
  annotations: labelMap,
  env,
  nodeSelector: labelMap,
  volumeMounts: maybe(fc.array(fc.record({ name: mostly(fc.constantFrom('data', 'cache'), fc.constant('nope')), mountPath: mostly(fc.constantFrom('/data', '/cache'), fc.constantFrom('/tmp', 'relative')) }), { maxLength: 1 })),
  sidecars: maybe(fc.array(fc.record({ name: mostly(fc.constant('shipper'), fc.constantFrom('spark-driver', 'spark-executor', 'X')), image: mostly(fc.constant('busybox:1'), fc.constant('bad image')) }), { maxLength: 1 })),
  ...extra,
}, { requiredKeys: [] }));
const confKey = mostly(
  fc.constantFrom('spark.sql.shuffle.partitions', 'spark.serializer', 'spark.sql.adaptive.enabled', 'spark.kubernetes.executor.label.team'),
  fc.constantFrom('spark.not.a.key', 'spark.executor.memory', 'fs.defaultFS', 'spark.hadoop.x'),
);
const spec = fc.record({
  name,
  namespace: maybe(name),
  sparkVersion: mostly(fc.constantFrom('3.5.8', '4.0.2', '4.1.1', '4.2.0', '4.3.0'), fc.constantFrom('2.4.8', 'latest')),
  mainClass: mostly(fc.constant('org.example.Main'), fc.constantFrom('not a class', undefined)),
  mainApplicationFile: mostly(fc.constantFrom('local:///app/app.jar', 'https://repo.example.com/app.jar'), fc.constant('')),
  arguments: maybe(fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 })),
  image: maybe(mostly(fc.constantFrom('apache/spark:4.0.2', 'registry.example.com/spark@sha256:abc'), fc.constant('my image'))),
  imagePullSecrets: maybe(fc.array(name, { maxLength: 2 })),
  driver: pod({ retries: maybe(mostly(fc.integer({ min: 0, max: 10 }), fc.constant(-1))), port: maybe(mostly(fc.integer({ min: 1024, max: 65535 }), fc.integer({ min: 0, max: 1023 }))), uiPort: maybe(fc.constantFrom(4040, 7078)) }),
  executor: pod({ instances: maybe(mostly(fc.integer({ min: 0, max: 50 }), fc.constant(-1))) }),
  dynamicAllocation: fc.option(fc.record({ minExecutors: maybe(fc.integer({ min: 0, max: 10 })), maxExecutors: mostly(fc.integer({ min: 10, max: 20 }), fc.constantFrom(undefined, 0)), executorIdleTimeout: maybe(mostly(fc.constant('60s'), fc.constant('soon'))) }), { nil: undefined, freq: 4 }),
  volumes,
  sparkConf: maybe(fc.dictionary(confKey, fc.constantFrom('1', 'true'), { maxKeys: 3 })),
  hadoopConf: maybe(fc.dictionary(mostly(fc.constant('fs.s3a.endpoint'), fc.constant('spark.x')), fc.constant('v'), { maxKeys: 2 })),
  podSecurity: maybe(mostly(fc.constantFrom('restricted', 'privileged'), fc.constant('none'))),
  labels: labelMap,
}, { requiredKeys: ['name', 'sparkVersion', 'mainApplicationFile'] });

describe('random specs', () => {
  it('render schema-valid objects or fail validation cleanly', () => {
    let valid = 0;
    let invalid = 0;
    const counts = new Map<string, number>();
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
          if (process.env.DEBUG_PROPERTY) for (const p of error.problems) counts.set(p.path.replace(/\[.*$/, ''), (counts.get(p.path.replace(/\[.*$/, '')) ?? 0) + 1);
          return;
        }
        validateAll(objects, parse);
        valid++;
      }),
      { numRuns: 3000, seed: Number(process.env.FC_SEED ?? 20261125) },
    );
    if (process.env.DEBUG_PROPERTY) console.log([...counts].sort((a, b) => b[1] - a[1]).slice(0, 15));
    // The generator must exercise both outcomes, or the property proves little.
    expect(valid).toBeGreaterThan(100);
    expect(invalid).toBeGreaterThan(100);
  });
});
