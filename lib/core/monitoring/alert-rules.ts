// Alerting rules for Spark on Kubernetes as sparkplane runs it, in Prometheus' rule-file format.
// Every metric is one the library's targets really serve (the unit suite checks each name against
// the exporters' own lists, and the e2e suite the Spark names against live drivers), and every
// alert has a promtool unit test with synthetic series (test/integration/prometheus.test.ts).
import { SPARK_DRIVER_METRICS, SPARK_DYNAMIC_ALLOCATION_METRICS } from './spark-metric-names';
import { APPLICATION_LABEL } from '../spark-application/naming';
import { KUBE_STATE_METRICS as KSM, kubeStateMetricsLabel as ksmLabel } from './kube-state-metrics';

/** One alerting rule. */
export interface AlertRule {
  /** The alert's name. */
  readonly alert: string;
  /** The PromQL expression; every series it returns fires. */
  readonly expr: string;
  /** How long the expression must hold before the alert fires, a Prometheus duration. */
  readonly for: string;
  /** Labels of the alert (severity). */
  readonly labels: Record<string, string>;
  /** Summary and description, with the series' labels templated in. */
  readonly annotations: Record<string, string>;
}

/** A group of rules, as a rule file lists them. */
export interface AlertRuleGroup {
  /** The group's name. */
  readonly name: string;
  /** Its rules. */
  readonly rules: readonly AlertRule[];
}

const app = '{{ $labels.namespace }}/{{ $labels.spark_application }}';

/** The library's alerting rules. */
export function sparkplaneAlertRules(): AlertRuleGroup[] {
  return [
    {
      name: 'sparkplane-spark',
      rules: [
        {
          alert: 'SparkDriverRestarted',
          // Each driver pod is a target of its own: two in the window means the Job replaced the driver.
          expr: 'count by (namespace, spark_application) (max_over_time(up{job="spark-driver"}[30m])) > 1',
          for: '0m',
          labels: { severity: 'warning' },
          annotations: { summary: `Spark driver of ${app} restarted`, description: 'Its Job started another driver pod in the last 30 minutes (a failure, or the loss of a node).' },
        },
        {
          alert: 'SparkDriverFailed',
          // The Job has given up (retries spent, or its deadline passed): the application failed for
          // good. kube-state-metrics' Job series, joined to the driver Jobs by their labels.
          expr: `label_replace(${KSM.jobFailed}{condition="true"} * on (namespace, job_name) group_left (${ksmLabel(APPLICATION_LABEL)}) ${KSM.jobLabels}{${ksmLabel('app.kubernetes.io/component')}="driver", ${ksmLabel(APPLICATION_LABEL)}!=""}, "spark_application", "$1", "${ksmLabel(APPLICATION_LABEL)}", "(.+)") > 0`,
          for: '0m',
          labels: { severity: 'critical' },
          annotations: { summary: `Spark application ${app} failed`, description: 'Its driver Job {{ $labels.job_name }} has failed for good: the retries are spent or its deadline passed. `kubectl logs job/{{ $labels.job_name }}` shows the last driver.' },
        },
        {
          alert: 'SparkJobsFailing',
          expr: `increase(${SPARK_DRIVER_METRICS.failedJobs}{job="spark-driver"}[15m]) > 0`,
          for: '0m',
          labels: { severity: 'warning' },
          annotations: { summary: `Spark jobs failing in ${app}`, description: '{{ $value | humanize }} Spark jobs failed in the last 15 minutes.' },
        },
        {
          alert: 'SparkExecutorsLost',
          // Only under dynamic allocation: the count comes from ExecutorAllocationManager.
          expr: `increase(${SPARK_DYNAMIC_ALLOCATION_METRICS.executorsExitedUnexpectedly}{job="spark-driver"}[15m]) > 3`,
          for: '0m',
          labels: { severity: 'warning' },
          annotations: { summary: `Executors of ${app} are being lost`, description: '{{ $value | humanize }} executors exited unexpectedly in the last 15 minutes (out of memory, evicted or preempted).' },
        },
        {
          alert: 'SparkListenerEventsDropped',
          expr: `increase(${SPARK_DRIVER_METRICS.droppedListenerEvents}{job="spark-driver"}[10m]) > 0`,
          for: '0m',
          labels: { severity: 'warning' },
          annotations: { summary: `Spark driver of ${app} drops status events`, description: 'Its appStatus listener queue overflowed: the UI and the metrics undercount; the driver is overloaded.' },
        },
      ],
    },
    {
      name: 'sparkplane-allocator',
      rules: [
        {
          alert: 'SparkExecutorsPending',
          expr: 'sparkplane_allocator_pending_executors > 0',
          for: '10m',
          labels: { severity: 'warning' },
          annotations: { summary: `Executors of ${app} stuck Pending`, description: '{{ $value }} requested executors have not started for 10 minutes: the cluster or the namespace\'s quota lacks room.' },
        },
        {
          alert: 'SparkAllocatorBelowTarget',
          expr: 'sparkplane_allocator_expected_executors - sparkplane_allocator_registered_executors > 0',
          for: '15m',
          labels: { severity: 'warning' },
          annotations: { summary: `Allocator of ${app} below its target`, description: '{{ $value }} executors Spark asked for have not registered for 15 minutes.' },
        },
      ],
    },
    {
      name: 'sparkplane-services',
      rules: [
        {
          alert: 'SparkplaneTargetDown',
          expr: 'up{job="sparkplane"} == 0',
          for: '5m',
          labels: { severity: 'warning' },
          annotations: { summary: '{{ $labels.component }} {{ $labels.namespace }}/{{ $labels.pod }} does not answer', description: 'Prometheus cannot scrape its /metrics (container {{ $labels.container }}).' },
        },
        {
          alert: 'ZeppelinDown',
          // The server's readiness probe (/health/readiness) decides availability.
          expr: `${KSM.deploymentAvailableReplicas} * on (namespace, deployment) group_left () ${KSM.deploymentLabels}{${ksmLabel('app.kubernetes.io/name')}="zeppelin"} == 0`,
          for: '5m',
          labels: { severity: 'critical' },
          annotations: { summary: 'Zeppelin {{ $labels.namespace }}/{{ $labels.deployment }} is down', description: 'Its server has had no ready replica for 5 minutes: notebooks cannot be opened and interpreters cannot start.' },
        },
        {
          alert: 'ShuffleServiceSilent',
          // The service sends StatsD every 10 s to the janitor beside it; silence means it is down.
          expr: 'time() - sparkplane_shuffle_janitor_statsd_last_packet_timestamp_seconds > 120',
          for: '2m',
          labels: { severity: 'critical' },
          annotations: { summary: 'External shuffle service down on {{ $labels.node }}', description: 'No metrics from the shuffle service for over 2 minutes: executors on that node cannot register, and shuffle files there cannot be read.' },
        },
        {
          alert: 'StagingServerDiskNearlyFull',
          expr: 'sparkplane_staging_volume_free_bytes / (sparkplane_staging_volume_free_bytes + sparkplane_staging_stored_bytes) < 0.1',
          for: '15m',
          labels: { severity: 'warning' },
          annotations: { summary: 'Staging server {{ $labels.namespace }}/{{ $labels.pod }} nearly full', description: 'Less than 10% of its claim is free: uploads will fail. Grow the claim or shorten the retention.' },
        },
      ],
    },
  ];
}
