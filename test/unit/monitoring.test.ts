// Prometheus monitoring of Spark applications (issue 9): what `monitoring` adds to the Spark
// configuration and the driver pod, and its errors. The e2e suite scrapes a real driver.
import { Registry } from 'prom-client';
import { parse } from 'yaml';
import { ALLOCATOR_METRIC_NAMES } from '../../lib/allocator/metrics';
import { StatsdRelay } from '../../lib/shuffle-janitor/statsd-relay';
import { STAGING_METRIC_NAMES } from '../../lib/staging-server/metrics';
import {
  grafanaDashboardQueries, KUBE_STATE_METRICS, renderPrometheus, renderPrometheusOperatorObjects, renderZeppelin, SPARK_DRIVER_METRICS, SPARK_DYNAMIC_ALLOCATION_METRICS, SPARK_EXECUTOR_METRICS, sparkplaneAlertRules, SparkplaneValidationError,
  sparkplaneScrapeConfigs, type PrometheusSpec, type SparkApplicationSpec,
} from '../../lib/core';
import { rendered } from '../support/render-helpers';

const app = (extra: Partial<SparkApplicationSpec> = {}): SparkApplicationSpec => ({
  name: 'etl', namespace: 'batch', sparkVersion: '4.0.5', mainClass: 'com.example.Etl', mainApplicationFile: 'local:///opt/app.jar', monitoring: {}, ...extra,
});

function problemsOf(spec: SparkApplicationSpec): Array<{ path: string; message: string }> {
  try {
    rendered(spec);
  } catch (error) {
    if (error instanceof SparkplaneValidationError) return error.problems.map(({ path, message }) => ({ path, message }));
    throw error;
  }
  throw new Error('expected a SparkplaneValidationError');
}

describe.each(['4.0.5', '3.5.9'])('monitoring on Spark %s', (sparkVersion) => {
  const { properties, driverPod, executorTemplate } = rendered(app({ sparkVersion }));

  it('turns on Spark\'s PrometheusServlet, the executors\' endpoint, the JVM and appStatus sources, under a constant namespace', () => {
    expect(properties).toMatchObject({
      'spark.metrics.namespace': 'spark',
      'spark.metrics.conf.*.sink.prometheusServlet.class': 'org.apache.spark.metrics.sink.PrometheusServlet',
      'spark.metrics.conf.*.sink.prometheusServlet.path': '/metrics/prometheus',
      'spark.metrics.conf.*.source.jvm.class': 'org.apache.spark.metrics.source.JvmSource',
      'spark.metrics.appStatusSource.enabled': 'true',
      // Off by default in 3.5.
      'spark.ui.prometheus.enabled': 'true',
    });
  });

  it('annotates the driver pod with its UI port and both paths, and leaves executors alone (they serve nothing)', () => {
    expect(driverPod.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': properties['spark.ui.port'],
      'prometheus.io/path': '/metrics/prometheus/',
      'sparkplane.io/metrics-executors-path': '/metrics/executors/prometheus',
    });
    expect(driverPod.spec.containers[0].ports).toContainEqual({ name: 'spark-ui', containerPort: Number(properties['spark.ui.port']), protocol: 'TCP' });
    expect(executorTemplate.metadata.annotations).toBeUndefined();
  });
});

describe('monitoring', () => {
  it('adds nothing without the option, or with prometheus: false', () => {
    for (const spec of [app({ monitoring: undefined }), app({ monitoring: { prometheus: false } })]) {
      const { properties, driverPod } = rendered(spec);
      expect(Object.keys(properties).filter((k) => k.startsWith('spark.metrics.') || k === 'spark.ui.prometheus.enabled')).toEqual([]);
      expect(driverPod.metadata.annotations['prometheus.io/scrape']).toBeUndefined();
    }
  });

  it('refuses keys it owns, a UI switched off, and a malformed option', () => {
    expect(problemsOf(app({ sparkConf: { 'spark.metrics.namespace': '${spark.app.name}', 'spark.ui.enabled': 'false' } }))).toEqual([
      { path: 'sparkConf["spark.metrics.namespace"]', message: 'is rendered by monitoring (constant, so that metric names stay the same across runs); remove it, or set monitoring.prometheus to false' },
      { path: 'sparkConf["spark.ui.enabled"]', message: 'turns off the driver\'s UI, which serves the metrics monitoring exposes; remove it, or set monitoring.prometheus to false' },
    ]);
    expect(problemsOf(app({ monitoring: { prometheus: 'yes' as never } }))).toEqual([{ path: 'monitoring.prometheus', message: 'must be true or false' }]);
    // Without monitoring the keys are the user's.
    expect(() => rendered(app({ monitoring: undefined, sparkConf: { 'spark.metrics.namespace': 'mine' } }))).not.toThrow();
  });

  const prometheusPeer = { namespaceLabels: { 'kubernetes.io/metadata.name': 'monitoring' }, podLabels: { 'app.kubernetes.io/name': 'prometheus' } };

  it('reaches Zeppelin\'s interpreter: its settings carry the keys, its pod the annotations, its NetworkPolicy the scraper', () => {
    const objects = renderZeppelin({
      name: 'notebooks', sparkplaneImage: 'r/sp:1', auth: { allowAnonymousAccessByAnyoneWhoCanReachZeppelin: true }, metricsPeers: [prometheusPeer],
      spark: { sparkVersion: '4.0.5', monitoring: {}, allocator: { image: 'r/sp:1' } },
    }) as any[];
    const policy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'notebooks-interpreter');
    expect(policy.spec.ingress).toContainEqual({
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }],
      ports: [{ port: 4040, protocol: 'TCP' }, { port: 7091, protocol: 'TCP' }],
    });
    const seed = JSON.parse(objects.find((o) => o.metadata.name === 'notebooks-interpreter-settings').data['spark-setting.json']);
    expect(seed.properties['spark.metrics.namespace']).toBe('spark');
    const template = objects.find((o) => o.metadata.name === 'notebooks-interpreter-template').data['100-interpreter-spec.yaml'];
    expect(template).toContain('prometheus.io/path: "/metrics/prometheus/"');
  });
});

describe('scrape configurations', () => {
  const [driver, executors, programs] = sparkplaneScrapeConfigs(['batch', 'notebooks']) as any[];
  const metaOf = (name: string) => `__meta_kubernetes_pod_annotation_${name.replace(/[^a-zA-Z0-9_]/g, '_')}`;

  it('discover pods in exactly the namespaces given, or everywhere for "*"', () => {
    expect(driver.kubernetes_sd_configs).toEqual([{ role: 'pod', namespaces: { names: ['batch', 'notebooks'] } }]);
    expect((sparkplaneScrapeConfigs('*')[0] as any).kubernetes_sd_configs).toEqual([{ role: 'pod' }]);
  });

  it('read the annotations a monitored driver pod carries, for its port and both paths', () => {
    const { driverPod } = rendered(app());
    const annotations = driverPod.metadata.annotations as Record<string, string>;
    const sources = (job: any) => job.relabel_configs.flatMap((r: any) => r.source_labels ?? []);
    for (const name of ['prometheus.io/scrape', 'prometheus.io/port', 'prometheus.io/path']) {
      expect(annotations[name]).toBeDefined();
      expect(sources(driver)).toContain(metaOf(name));
    }
    expect(sources(executors)).toContain(metaOf('sparkplane.io/metrics-executors-path'));
    expect(annotations['sparkplane.io/metrics-executors-path']).toBe('/metrics/executors/prometheus');
    expect(driver.relabel_configs.find((r: any) => r.target_label === '__metrics_path__').source_labels).toEqual([metaOf('prometheus.io/path')]);
  });

  it('find the library\'s programs by their metrics port names', () => {
    const portRule = programs.relabel_configs.find((r: any) => r.source_labels?.[0] === '__meta_kubernetes_pod_container_port_name');
    const { driverPod } = rendered(app({ allocator: { image: 'registry.example.com/sparkplane:0.1.0' } }));
    const sidecarPort = driverPod.spec.initContainers.find((c: any) => c.name === 'allocator').ports[0].name;
    expect(new RegExp(`^(?:${portRule.regex})$`).test(sidecarPort)).toBe(true);
    expect(driverPod.metadata.labels['app.kubernetes.io/managed-by']).toBe('sparkplane');
  });
});

describe('Prometheus', () => {
  const objectsOf = (spec: Partial<PrometheusSpec> = {}) => renderPrometheus({ targetNamespaces: ['batch', 'notebooks'], ...spec }) as any[];
  const objects = objectsOf({ pushgateway: {} });
  const one = (kind: string, name: string, namespace = 'monitoring') => objects.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace);

  it('renders its identity, discovery rights per target namespace, configuration, claim, server, Service, NetworkPolicies and the Pushgateway', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/monitoring/prometheus',
      'Role/batch/prometheus-discovery', 'RoleBinding/batch/prometheus-discovery',
      'Role/notebooks/prometheus-discovery', 'RoleBinding/notebooks/prometheus-discovery',
      'ConfigMap/monitoring/prometheus-config', 'PersistentVolumeClaim/monitoring/prometheus-data',
      'Deployment/monitoring/prometheus', 'Service/monitoring/prometheus', 'NetworkPolicy/monitoring/prometheus',
      'Deployment/monitoring/prometheus-pushgateway', 'Service/monitoring/prometheus-pushgateway', 'NetworkPolicy/monitoring/prometheus-pushgateway',
      'ConfigMap/monitoring/sparkplane-spark-dashboard',
    ]);
  });

  it('may only list and watch pods, in exactly its target namespaces; a ClusterRole only for "*"', () => {
    expect(one('Role', 'prometheus-discovery', 'batch').rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] }]);
    expect(one('RoleBinding', 'prometheus-discovery', 'batch').subjects).toEqual([{ kind: 'ServiceAccount', name: 'prometheus', namespace: 'monitoring' }]);
    expect(objects.some((o) => o.kind.startsWith('Cluster'))).toBe(false);
    const all = objectsOf({ targetNamespaces: '*' });
    expect(all.filter((o) => o.kind.startsWith('Cluster')).map((o) => o.kind)).toEqual(['ClusterRole', 'ClusterRoleBinding']);
  });

  it('scrapes the library\'s jobs in its target namespaces, itself, and the Pushgateway with honor_labels', () => {
    const config = parse(one('ConfigMap', 'prometheus-config').data['prometheus.yml']);
    expect(config.scrape_configs.map((c: any) => c.job_name)).toEqual(['prometheus', 'spark-driver', 'spark-executors', 'sparkplane', 'pushgateway']);
    expect(config.scrape_configs[1].kubernetes_sd_configs).toEqual([{ role: 'pod', namespaces: { names: ['batch', 'notebooks'] } }]);
    expect(config.scrape_configs[4]).toEqual({ job_name: 'pushgateway', honor_labels: true, static_configs: [{ targets: ['prometheus-pushgateway.monitoring.svc:9091'] }] });
  });

  it('scrapes kube-state-metrics when given its address, and refuses an address that is not host:port', () => {
    const config = parse(objectsOf({ kubeStateMetrics: 'kube-state-metrics.kube-system.svc:8080' }).find((o) => o.kind === 'ConfigMap').data['prometheus.yml']);
    expect(config.scrape_configs.at(-1)).toEqual({ job_name: 'kube-state-metrics', static_configs: [{ targets: ['kube-state-metrics.kube-system.svc:8080'] }] });
    expect(() => objectsOf({ kubeStateMetrics: 'http://kube-state-metrics:8080/metrics' })).toThrow(/kubeStateMetrics = "http:\/\/kube-state-metrics:8080\/metrics": must be the host:port of kube-state-metrics' metrics/);
  });

  it('runs "restricted" on its claim, restarted when its configuration changes', () => {
    const pod = one('Deployment', 'prometheus').spec.template;
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.spec.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.spec.containers[0].args).toEqual(['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus', '--storage.tsdb.retention.time=15d', '--web.listen-address=:9090']);
    const other = objectsOf({ scrapeInterval: '30s' }).find((o) => o.kind === 'Deployment').spec.template.metadata.annotations['sparkplane.io/config-sha256'];
    expect(other).not.toBe(pod.metadata.annotations['sparkplane.io/config-sha256']);
  });

  it('lets only driver pods of its target namespaces push, and the server scrape', () => {
    const policy = one('NetworkPolicy', 'prometheus-pushgateway').spec;
    expect(policy.ingress[0].from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'batch' } }, podSelector: { matchLabels: { 'spark-role': 'driver' } } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'notebooks' } }, podSelector: { matchLabels: { 'spark-role': 'driver' } } },
      { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/instance': 'prometheus', 'app.kubernetes.io/component': 'server' } } },
    ]);
  });

  it('names what is wrong', () => {
    const problems = (spec: unknown) => {
      try { renderPrometheus(spec as PrometheusSpec); } catch (error) { return (error as SparkplaneValidationError).problems.map((p) => p.path); }
      return [];
    };
    expect(problems({})).toEqual(['targetNamespaces']);
    expect(problems({ targetNamespaces: [], retention: '15 days', retentionSize: '8G', scrapeInterval: '1min' })).toEqual(['targetNamespaces', 'scrapeInterval', 'retention', 'retentionSize']);
    expect(problems({ targetNamespaces: ['Batch'] })).toEqual(['targetNamespaces[0]']);
  });
});

/** Every metric name the library's targets really serve (the Spark ones are checked against live drivers by the e2e suite). */
function servedMetricNames(): Set<string> {
  const registry = new Registry();
  new StatsdRelay(registry);
  return new Set<string>([
    'up',
    ...ALLOCATOR_METRIC_NAMES,
    ...STAGING_METRIC_NAMES,
    ...registry.getMetricsAsArray().map((m) => m.name),
    ...Object.values(SPARK_DRIVER_METRICS), ...Object.values(SPARK_DYNAMIC_ALLOCATION_METRICS), ...Object.values(SPARK_EXECUTOR_METRICS),
    // Checked against a live kube-state-metrics by test/integration/prometheus-server.test.ts.
    ...Object.values(KUBE_STATE_METRICS),
  ]);
}

/** The metric names of a PromQL expression: identifiers outside matchers, ranges and strings, less PromQL's own words and the labels grouped or matched by. */
function metricNamesOf(expr: string): string[] {
  const promql = new Set(['count', 'by', 'max', 'max_over_time', 'increase', 'time', 'sum', 'rate', 'on', 'ignoring', 'and', 'or', 'unless', 'without', 'label_replace', 'group_left', 'group_right']);
  const bare = expr.replace(/\{[^}]*\}/g, '').replace(/\[[^\]]*\]/g, '').replace(/"[^"]*"/g, '').replace(/(by|on|ignoring|group_left|group_right|without) \([^)]*\)/g, '');
  return (bare.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []).filter((word) => !promql.has(word));
}

describe('alerting rules and the dashboard', () => {
  it('alerts use only metrics the library\'s targets really serve', () => {
    const served = servedMetricNames();
    const rules = sparkplaneAlertRules().flatMap((g) => g.rules);
    expect(rules.length).toBe(11);
    for (const rule of rules) {
      const names = metricNamesOf(rule.expr);
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) expect({ alert: rule.alert, name, served: served.has(name) }).toEqual({ alert: rule.alert, name, served: true });
    }
  });

  it('dashboard queries use only metrics the library\'s targets really serve, and filter by the dashboard\'s variables', () => {
    const served = servedMetricNames();
    const queries = grafanaDashboardQueries();
    expect(queries.length).toBe(17);
    for (const expr of queries) {
      for (const name of metricNamesOf(expr)) expect({ expr, name, served: served.has(name) }).toEqual({ expr, name, served: true });
      expect(expr).toContain('namespace="$namespace", spark_application=~"$application"');
    }
  });

  it('ships the dashboard in a ConfigMap Grafana\'s sidecar picks up, with both components', () => {
    for (const objects of [renderPrometheus({ targetNamespaces: ['batch'] }), renderPrometheusOperatorObjects({ targetNamespaces: ['batch'] })] as any[][]) {
      const configMap = objects.find((o) => o.metadata.name === 'sparkplane-spark-dashboard');
      expect(configMap.metadata.labels.grafana_dashboard).toBe('1');
      const dashboard = JSON.parse(configMap.data['sparkplane-spark.json']);
      expect(dashboard.panels.filter((p: any) => p.type === 'timeseries')).toHaveLength(8);
      expect(dashboard.templating.list.map((v: any) => v.name)).toEqual(['datasource', 'namespace', 'application']);
    }
  });
});

describe('a monitored Zeppelin interpreter', () => {
  const zeppelin = (extra: Record<string, unknown>) => () => renderZeppelin({ name: 'notebooks', sparkplaneImage: 'r/sp:1', auth: { allowAnonymousAccessByAnyoneWhoCanReachZeppelin: true }, spark: { sparkVersion: '4.0.5', monitoring: {} }, ...extra });

  it('needs metricsPeers in pull mode, since its NetworkPolicy admits only the server on the UI port', () => {
    expect(zeppelin({})).toThrow(/metricsPeers: is required with spark.monitoring: the interpreter's NetworkPolicy admits only the server on its UI port/);
    expect(zeppelin({ metricsPeers: [{}] })).toThrow(/metricsPeers\[0\]/);
  });

  it('needs none when it pushes, and then admits nobody else', () => {
    const objects = zeppelin({ spark: { sparkVersion: '4.0.5', monitoring: { pushgateway: { url: 'http://gw.monitoring.svc:9091', image: 'r/sp:1' } } } })() as any[];
    const policy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'notebooks-interpreter');
    expect(policy.spec.ingress.map((rule: any) => rule.ports.map((p: any) => p.port))).toEqual([[12321, 4040], [22321, 22322]]);
  });
});

describe('Prometheus bad input, more', () => {
  it('names a bad Pushgateway image and a query peer that selects nothing', () => {
    try {
      renderPrometheus({ targetNamespaces: ['batch'], pushgateway: { image: 'prom/pushgateway latest' }, queryPeers: [{}] });
      throw new Error('expected a SparkplaneValidationError');
    } catch (error) {
      expect((error as SparkplaneValidationError).problems.map((p) => [p.path, p.message])).toEqual([
        ['queryPeers[0]', 'selects nothing: give cidr, podLabels or namespaceLabels'],
        ['pushgateway.image', 'must be an image reference without blanks, e.g. "apache/spark:4.0.2"'],
      ]);
    }
  });
});
