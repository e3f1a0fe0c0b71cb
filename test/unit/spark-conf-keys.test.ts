import { renderSparkProperties, resolveSparkApplication, sparkConfKeys, SUPPORTED_SPARK_LINES, isSparkConfKey } from '../../lib/core';
import { fullSpec } from '../support/specs';

describe.each(SUPPORTED_SPARK_LINES.map((line) => [line]))('Spark %s configuration keys', (line) => {
  const version = `${line}.0`;

  it('include every key sparkplane emits, with dynamic allocation or without', () => {
    for (const spec of [
      { ...fullSpec, sparkVersion: version },
      { ...fullSpec, sparkVersion: version, executor: { ...fullSpec.executor, instances: undefined }, dynamicAllocation: { maxExecutors: 9, cachedExecutorIdleTimeout: '10min', shuffleTrackingTimeout: '30min' } },
    ]) {
      const keys = Object.keys(renderSparkProperties(resolveSparkApplication(spec)));
      expect(keys.filter((key) => !isSparkConfKey(key, line))).toEqual([]);
    }
  });

  it('come from Spark\'s jars: a few well-known keys with their defaults', () => {
    const keys = sparkConfKeys(line);
    expect(keys.size).toBeGreaterThan(1000);
    // Spark raised the allocation batch size twice: 5 in 3.5, 10 in 4.0 and 4.1, 20 from 4.2.
    expect(keys.get('spark.kubernetes.allocation.batch.size')?.default).toBe({ '3.5': '5', '4.0': '10', '4.1': '10', '4.2': '20', '4.3': '20' }[line]);
    expect(keys.get('spark.sql.shuffle.partitions')?.default).toBe('200');
    expect(keys.has('spark.kubernetes.executor.podTemplateFile')).toBe(true);
    expect(keys.has('spark.kubernetes.executor.podTemplateContainerName')).toBe(true);
  });
});

describe('keys that differ between Spark lines', () => {
  it('knows spark.ui.prometheus.enabled defaults to false in 3.5 and true in 4.x', () => {
    expect(sparkConfKeys('3.5').get('spark.ui.prometheus.enabled')?.default).toBe('false');
    expect(sparkConfKeys('4.0').get('spark.ui.prometheus.enabled')?.default).toBe('true');
  });
});
