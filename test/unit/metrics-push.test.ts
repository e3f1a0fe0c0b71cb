// The push mode of `monitoring` (issue 9): what `monitoring.pushgateway` renders into the driver pod
// and the Spark configuration, its errors, and the sidecar's pure parts: telling metrics from
// Spark's start-up page, labelling samples, reading Spark's final CsvSink report back under the
// servlet's names, and the Pushgateway group URL. The e2e suite runs it with real Spark and a real
// Pushgateway (test/e2e/monitoring.test.ts).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EnvConfigError } from '../../lib/allocator/config';
import { type SparkApplicationSpec, SparkplaneValidationError } from '../../lib/core';
import { metricsPushConfigFromEnv } from '../../lib/metrics-push/config';
import { sampleLines, withLabels } from '../../lib/metrics-push/exposition';
import { finalReportSamples, readFinalReport, servletPrefix } from '../../lib/metrics-push/final-report';
import { pushGroupUrl } from '../../lib/metrics-push/program';
import { rendered } from '../support/render-helpers';

const PUSH = { url: 'http://prometheus-pushgateway.monitoring.svc:9091', image: 'registry.example.com/sparkplane:0.1.0' };
const app = (extra: Partial<SparkApplicationSpec> = {}): SparkApplicationSpec => ({
  name: 'etl', namespace: 'batch', sparkVersion: '4.0.5', mainClass: 'com.example.Etl', mainApplicationFile: 'local:///opt/app.jar', monitoring: { pushgateway: PUSH }, ...extra,
});

function problemsOf(spec: SparkApplicationSpec): Array<{ path: string; message: string }> {
  try {
    rendered(spec);
  } catch (error) {
    if (error instanceof SparkplaneValidationError) return error.problems.map(({ path: p, message }) => ({ path: p, message }));
    throw error;
  }
  throw new Error('expected a SparkplaneValidationError');
}

describe.each(['4.0.5', '3.5.9'])('monitoring.pushgateway on Spark %s', (sparkVersion) => {
  const { properties, driverPod } = rendered(app({ sparkVersion, allocator: { image: PUSH.image } }));
  const sidecar = driverPod.spec.initContainers.find((c: any) => c.name === 'metrics-push');

  it('adds the pushing sidecar as a native sidecar, with the application, the Pushgateway and the UI port', () => {
    expect(sidecar).toMatchObject({ image: PUSH.image, restartPolicy: 'Always', args: ['metrics-push'] });
    const env = Object.fromEntries(sidecar.env.map((e: any) => [e.name, e.value ?? e.valueFrom.fieldRef.fieldPath]));
    expect(env).toEqual({
      SPARKPLANE_NAMESPACE: 'metadata.namespace',
      SPARKPLANE_DRIVER_POD_NAME: 'metadata.name',
      SPARKPLANE_PUSH_APPLICATION: 'etl',
      SPARKPLANE_PUSH_URL: PUSH.url,
      SPARKPLANE_PUSH_INTERVAL: '5s',
      SPARKPLANE_PUSH_SPARK_UI_PORT: properties['spark.ui.port'],
      SPARKPLANE_PUSH_FINAL_REPORT_DIR: '/var/run/sparkplane/final-metrics',
    });
    // After the allocator's containers: it needs nothing from them, and they need nothing from it.
    expect(driverPod.spec.initContainers.map((c: any) => c.name)).toEqual(['install-allocator-bridge', 'allocator', 'metrics-push']);
    expect(sidecar.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
  });

  it('has Spark write its final report into a folder the driver writes and the sidecar only reads', () => {
    expect(properties).toMatchObject({
      'spark.metrics.conf.driver.sink.csv.class': 'org.apache.spark.metrics.sink.CsvSink',
      'spark.metrics.conf.driver.sink.csv.directory': '/var/run/sparkplane/final-metrics',
      'spark.metrics.conf.driver.sink.csv.period': '3650',
      'spark.metrics.conf.driver.sink.csv.unit': 'days',
    });
    expect(driverPod.spec.containers[0].volumeMounts).toContainEqual({ name: 'sparkplane-final-metrics', mountPath: '/var/run/sparkplane/final-metrics' });
    expect(sidecar.volumeMounts).toEqual([{ name: 'sparkplane-final-metrics', mountPath: '/var/run/sparkplane/final-metrics', readOnly: true }]);
    expect(driverPod.spec.volumes).toContainEqual({ name: 'sparkplane-final-metrics', emptyDir: { sizeLimit: '16Mi' } });
  });

  it('keeps the endpoints on but does not annotate the pod for scraping: the series would be counted twice', () => {
    expect(properties['spark.metrics.conf.*.sink.prometheusServlet.class']).toBe('org.apache.spark.metrics.sink.PrometheusServlet');
    expect(Object.keys(driverPod.metadata.annotations).filter((k) => k.startsWith('prometheus.io/'))).toEqual([]);
  });
});

describe('monitoring.pushgateway errors', () => {
  it('names each bad field with the fix', () => {
    expect(problemsOf(app({ monitoring: { prometheus: false, pushgateway: { url: 'ftp://gw:9091?x=1', image: '', interval: '500ms', imagePullPolicy: 'Sometimes' as never } } }))).toEqual([
      { path: 'monitoring.prometheus', message: 'turns off the endpoints that monitoring.pushgateway pushes from; remove monitoring.prometheus, or remove monitoring.pushgateway' },
      { path: 'monitoring.pushgateway.url', message: 'must be the http(s) URL of the Pushgateway, without query or credentials, e.g. "http://prometheus-pushgateway.monitoring.svc:9091"' },
      { path: 'monitoring.pushgateway.image', message: 'is required: the sparkplane image you built and pushed (images/README.md), e.g. "registry.example.com/sparkplane:0.1.0"' },
      { path: 'monitoring.pushgateway.imagePullPolicy', message: expect.stringContaining('Always') },
      { path: 'monitoring.pushgateway.interval', message: 'must be a duration of at least 1 second, e.g. "5s"' },
    ]);
    expect(problemsOf(app({ monitoring: { pushgateway: 'http://gw:9091' as never } }))[0].path).toBe('monitoring.pushgateway');
    expect(problemsOf(app({ sparkConf: { 'spark.metrics.conf.driver.sink.csv.period': '10' } }))).toEqual([
      { path: 'sparkConf["spark.metrics.conf.driver.sink.csv.period"]', message: 'is rendered by monitoring.pushgateway (the final report the sidecar pushes); remove it, or remove monitoring.pushgateway' },
    ]);
    expect(problemsOf(app({ driver: { sidecars: [{ name: 'metrics-push', image: 'x/y:1' }] } }))[0].path).toBe('driver.sidecars[0].name');
  });
});

describe('the sidecar\'s exposition helpers', () => {
  it('tells Spark\'s metrics from the page its UI serves while it starts', () => {
    expect(sampleLines('metrics_spark_driver_jvm_heap_used_Value{type="gauges"} 1.5E8\nmetrics_x_Count{type="counters"} 3\n')).toEqual([
      'metrics_spark_driver_jvm_heap_used_Value{type="gauges"} 1.5E8', 'metrics_x_Count{type="counters"} 3',
    ]);
    expect(sampleLines('Spark is starting up. Please wait a while until it\'s ready.')).toBeUndefined();
    expect(sampleLines('<html><body>loading</body></html>\n')).toBeUndefined();
    expect(sampleLines('\n# only a comment\n')).toBeUndefined();
  });

  it('adds the labels a scrape would have added, escaped, and keeps labels a sample has', () => {
    expect(withLabels(['a{type="gauges"} 1', 'b 2', 'c{pod="own"} 3'], { pod: 'etl-driver-x"y', spark_role: 'driver' })).toBe(
      'a{type="gauges",pod="etl-driver-x\\"y",spark_role="driver"} 1\nb{pod="etl-driver-x\\"y",spark_role="driver"} 2\nc{pod="own",spark_role="driver"} 3\n',
    );
  });

  it('groups by job, namespace and application, base64-encoding values that are not plain', () => {
    const config = { url: 'http://gw:9091', namespace: 'batch', application: 'etl' };
    expect(pushGroupUrl(config, 'driver')).toBe('http://gw:9091/metrics/job/spark-driver/namespace/batch/spark_application/etl');
    expect(pushGroupUrl(config, 'executors')).toBe('http://gw:9091/metrics/job/spark-executors/namespace/batch/spark_application/etl');
    expect(pushGroupUrl({ ...config, application: 'a/b' }, 'driver')).toBe(`http://gw:9091/metrics/job/spark-driver/namespace/batch/spark_application@base64/${Buffer.from('a/b').toString('base64url')}`);
  });
});

describe('Spark\'s final report read back under the servlet\'s names', () => {
  const name = 'spark.driver.appStatus.jobs.succeededJobs';

  it('maps every kind CsvReporter writes to the suffixes and type label PrometheusServlet uses', () => {
    expect(servletPrefix(name)).toBe('metrics_spark_driver_appStatus_jobs_succeededJobs_');
    expect(finalReportSamples('spark.driver.jvm.heap.used', 't,value\n1764140000,12\n1764140005,150000000\n')).toEqual([
      'metrics_spark_driver_jvm_heap_used_Number{type="gauges"} 150000000', 'metrics_spark_driver_jvm_heap_used_Value{type="gauges"} 150000000',
    ]);
    expect(finalReportSamples(name, 't,count\n1764140005,7\n')).toEqual(['metrics_spark_driver_appStatus_jobs_succeededJobs_Count{type="counters"} 7']);
    const meter = finalReportSamples('spark.driver.m', 't,count,mean_rate,m1_rate,m5_rate,m15_rate,rate_unit\n1,4,0.5,0.1,0.2,0.3,events/second\n');
    expect(meter).toEqual(['Count 4', 'MeanRate 0.5', 'OneMinuteRate 0.1', 'FiveMinuteRate 0.2', 'FifteenMinuteRate 0.3'].map((s) => `metrics_spark_driver_m_${s.replace(' ', '{type="counters"} ')}`));
    const histogram = finalReportSamples('spark.driver.h', 't,count,max,mean,min,stddev,p50,p75,p95,p98,p99,p999\n1,3,9,5.000000,1,2.5,5.0,9.0,9.0,9.0,9.0,9.0\n');
    expect(histogram).toContain('metrics_spark_driver_h_Max{type="histograms"} 9');
    expect(histogram).toContain('metrics_spark_driver_h_StdDev{type="histograms"} 2.5');
    expect(histogram).toHaveLength(11);
  });

  it('turns a timer\'s durations back into nanoseconds, as the servlet serves them', () => {
    const timer = finalReportSamples('spark.driver.t', 't,count,max,mean,min,stddev,p50,p75,p95,p98,p99,p999,mean_rate,m1_rate,m5_rate,m15_rate,rate_unit,duration_unit\n'
      + '1,2,1.500000,1.000000,0.500000,0.5,1.0,1.5,1.5,1.5,1.5,1.5,0.2,0.1,0.1,0.1,calls/second,milliseconds\n');
    expect(timer).toHaveLength(15);
    expect(timer).toContain('metrics_spark_driver_t_Max{type="timers"} 1500000');
    expect(timer).toContain('metrics_spark_driver_t_Count{type="timers"} 2');
    expect(timer).toContain('metrics_spark_driver_t_OneMinuteRate{type="timers"} 0.1');
  });

  it('skips what the servlet skips or cannot be read: string gauges, unknown headers, cut-off rows', () => {
    expect(finalReportSamples('g', 't,value\n1,some text\n')).toEqual([]);
    expect(finalReportSamples('g', 't,other\n1,2\n')).toEqual([]);
    expect(finalReportSamples('g', 't,count\n')).toEqual([]);
    expect(finalReportSamples('g', 't,count,mean_rate,m1_rate,m5_rate,m15_rate,rate_unit\n1,4,0.5\n')).toEqual([]);
  });

  it('reads a folder of reports, and nothing from a folder Spark never wrote', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-final-'));
    try {
      fs.writeFileSync(path.join(dir, `${name}.csv`), 't,count\n1,7\n');
      fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a report');
      expect(readFinalReport(dir)).toEqual(['metrics_spark_driver_appStatus_jobs_succeededJobs_Count{type="counters"} 7']);
      expect(readFinalReport(path.join(dir, 'missing'))).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the sidecar\'s settings', () => {
  const env = { SPARKPLANE_PUSH_URL: 'http://gw:9091/', SPARKPLANE_NAMESPACE: 'batch', SPARKPLANE_DRIVER_POD_NAME: 'etl-driver-abcde', SPARKPLANE_PUSH_APPLICATION: 'etl', SPARKPLANE_PUSH_FINAL_REPORT_DIR: '/r' };

  it('reads the rendered variables, with defaults', () => {
    expect(metricsPushConfigFromEnv(env)).toEqual({ url: 'http://gw:9091', intervalMs: 5000, namespace: 'batch', pod: 'etl-driver-abcde', application: 'etl', sparkUi: 'http://127.0.0.1:4040', finalReportDir: '/r' });
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      metricsPushConfigFromEnv({ SPARKPLANE_PUSH_URL: 'gw:9091', SPARKPLANE_PUSH_INTERVAL: '10ms', SPARKPLANE_PUSH_SPARK_UI_PORT: '70000' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EnvConfigError);
    expect((error as EnvConfigError).problems.map((p) => p.split(/[= ]/)[0])).toEqual([
      'SPARKPLANE_PUSH_URL', 'SPARKPLANE_PUSH_INTERVAL', 'SPARKPLANE_PUSH_SPARK_UI_PORT', 'SPARKPLANE_NAMESPACE', 'SPARKPLANE_DRIVER_POD_NAME', 'SPARKPLANE_PUSH_APPLICATION', 'SPARKPLANE_PUSH_FINAL_REPORT_DIR',
    ]);
  });
});
