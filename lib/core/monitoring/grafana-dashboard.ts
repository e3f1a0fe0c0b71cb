// A Grafana dashboard for Spark applications as sparkplane runs them, in a ConfigMap labelled for
// Grafana's dashboard sidecar (kube-prometheus-stack: `grafana_dashboard: "1"`). Its queries use the
// metrics the library's scrape configurations collect: the names are checked by the unit suite
// against what the targets really serve.
import type { KubeObject } from '../kube-objects';
import { SPARK_DRIVER_METRICS, SPARK_DYNAMIC_ALLOCATION_METRICS, SPARK_EXECUTOR_METRICS } from './spark-metric-names';

/** The label Grafana's dashboard sidecar looks for, and its value in kube-prometheus-stack. */
export const GRAFANA_DASHBOARD_LABEL = { grafana_dashboard: '1' } as const;
/** The dashboard's file name in its ConfigMap. */
export const GRAFANA_DASHBOARD_FILE = 'sparkplane-spark.json';

const app = 'namespace="$namespace", spark_application=~"$application"';

interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly targets: ReadonlyArray<{ readonly expr: string; readonly legend: string }>;
}

/** The panels, in rows of two, by what a platform team looks at first. */
function panels(): Array<{ row: string; panels: Panel[] }> {
  return [
    {
      row: 'Application overview',
      panels: [
        { title: 'Active jobs and running stages', unit: 'short', targets: [
          { expr: `sum by (spark_application) (${SPARK_DRIVER_METRICS.activeJobs}{${app}})`, legend: '{{spark_application}} jobs' },
          { expr: `sum by (spark_application) (${SPARK_DRIVER_METRICS.runningStages}{${app}})`, legend: '{{spark_application}} stages' },
        ] },
        { title: 'Failed jobs and stages (15 min)', unit: 'short', targets: [
          { expr: `sum by (spark_application) (increase(${SPARK_DRIVER_METRICS.failedJobs}{${app}}[15m]))`, legend: '{{spark_application}} jobs' },
          { expr: `sum by (spark_application) (increase(${SPARK_DRIVER_METRICS.failedStages}{${app}}[15m]))`, legend: '{{spark_application}} stages' },
        ] },
      ],
    },
    {
      row: 'Executors',
      panels: [
        { title: 'Executors: expected, requested, registered (allocator)', unit: 'short', targets: [
          { expr: `sum by (spark_application) (sparkplane_allocator_expected_executors{${app}})`, legend: '{{spark_application}} expected' },
          { expr: `sum by (spark_application) (sparkplane_allocator_requested_executors{${app}})`, legend: '{{spark_application}} requested' },
          { expr: `sum by (spark_application) (sparkplane_allocator_registered_executors{${app}})`, legend: '{{spark_application}} registered' },
        ] },
        { title: 'Executors: Spark\'s target and count (dynamic allocation)', unit: 'short', targets: [
          { expr: `sum by (spark_application) (${SPARK_DYNAMIC_ALLOCATION_METRICS.targetExecutors}{${app}})`, legend: '{{spark_application}} target' },
          { expr: `sum by (spark_application) (${SPARK_DYNAMIC_ALLOCATION_METRICS.allExecutors}{${app}})`, legend: '{{spark_application}} executors' },
        ] },
      ],
    },
    {
      row: 'JVM memory and GC',
      panels: [
        { title: 'Driver heap', unit: 'bytes', targets: [
          { expr: `sum by (spark_application) (${SPARK_DRIVER_METRICS.heapUsedBytes}{${app}})`, legend: '{{spark_application}} used' },
          { expr: `sum by (spark_application) (${SPARK_DRIVER_METRICS.heapMaxBytes}{${app}})`, legend: '{{spark_application}} max' },
        ] },
        { title: 'Executors: peak heap and GC time', unit: 'short', targets: [
          { expr: `max by (spark_application, executor_id) (${SPARK_EXECUTOR_METRICS.peakHeapBytes}{${app}, executor_id!="driver"}) / 2^20`, legend: '{{spark_application}} {{executor_id}} peak heap MiB' },
          { expr: `sum by (spark_application) (rate(${SPARK_EXECUTOR_METRICS.gcSeconds}{${app}}[5m]))`, legend: '{{spark_application}} GC s/s' },
        ] },
      ],
    },
    {
      row: 'Shuffle and tasks',
      panels: [
        { title: 'Shuffle read and write', unit: 'Bps', targets: [
          { expr: `sum by (spark_application) (rate(${SPARK_EXECUTOR_METRICS.shuffleReadBytes}{${app}}[5m]))`, legend: '{{spark_application}} read' },
          { expr: `sum by (spark_application) (rate(${SPARK_EXECUTOR_METRICS.shuffleWriteBytes}{${app}}[5m]))`, legend: '{{spark_application}} write' },
        ] },
        { title: 'Task throughput', unit: 'ops', targets: [
          { expr: `sum by (spark_application) (rate(${SPARK_DRIVER_METRICS.completedTasks}{${app}}[5m]))`, legend: '{{spark_application}} completed/s' },
          { expr: `sum by (spark_application) (rate(${SPARK_DRIVER_METRICS.failedTasks}{${app}}[5m]))`, legend: '{{spark_application}} failed/s' },
        ] },
      ],
    },
  ];
}

/** Every PromQL expression of the dashboard. */
export function grafanaDashboardQueries(): string[] {
  return panels().flatMap((row) => row.panels.flatMap((panel) => panel.targets.map((target) => target.expr)));
}

/** The dashboard as Grafana's JSON model. */
export function grafanaDashboard(): Record<string, unknown> {
  const datasource = { type: 'prometheus', uid: '${datasource}' };
  const json: Array<Record<string, unknown>> = [];
  let y = 0;
  let id = 1;
  for (const row of panels()) {
    json.push({ id: id++, type: 'row', title: row.row, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: y++ }, panels: [] });
    row.panels.forEach((panel, i) => {
      json.push({
        id: id++,
        type: 'timeseries',
        title: panel.title,
        datasource,
        gridPos: { h: 8, w: 12, x: 12 * i, y },
        fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
        targets: panel.targets.map((target, j) => ({ refId: String.fromCharCode(65 + j), datasource, expr: target.expr, legendFormat: target.legend })),
      });
    });
    y += 8;
  }
  return {
    uid: 'sparkplane-spark',
    title: 'Spark on Kubernetes (sparkplane)',
    tags: ['spark', 'sparkplane'],
    schemaVersion: 39,
    refresh: '30s',
    time: { from: 'now-3h', to: 'now' },
    templating: {
      list: [
        { name: 'datasource', type: 'datasource', query: 'prometheus', label: 'Data source' },
        { name: 'namespace', type: 'query', datasource, query: 'label_values(up{job="spark-driver"}, namespace)', refresh: 2, label: 'Namespace' },
        { name: 'application', type: 'query', datasource, query: 'label_values(up{job="spark-driver", namespace="$namespace"}, spark_application)', refresh: 2, includeAll: true, multi: true, allValue: '.*', label: 'Application' },
      ],
    },
    panels: json,
  };
}

/** The dashboard's ConfigMap, for Grafana's sidecar. */
export function grafanaDashboardConfigMap(namespace: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'sparkplane-spark-dashboard', namespace, labels: { ...labels, 'app.kubernetes.io/managed-by': 'sparkplane', ...GRAFANA_DASHBOARD_LABEL } },
    data: { [GRAFANA_DASHBOARD_FILE]: `${JSON.stringify(grafanaDashboard(), null, 2)}\n` },
  };
}
