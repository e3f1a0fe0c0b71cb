// The Spark metric names sparkplane's scrape configurations, alerts and dashboards may use: each was
// seen on a real Spark 3.5.9 and 4.0.5 driver with the `monitoring` settings, and the e2e suite
// (test/e2e/monitoring.test.ts) checks every one against a live driver again. Driver names are
// `metrics_<spark.metrics.namespace>_driver_<source>_<metric>_<Value|Count>`; PrometheusServlet writes
// each gauge twice (_Number and _Value, equal), so only _Value is used.
import { SPARK_METRICS_NAMESPACE } from './spark-metrics';

const driver = (name: string) => `metrics_${SPARK_METRICS_NAMESPACE}_driver_${name}`;

/** Driver metrics (`/metrics/prometheus/`), by what they measure. */
export const SPARK_DRIVER_METRICS = {
  heapUsedBytes: driver('jvm_heap_used_Value'),
  heapMaxBytes: driver('jvm_heap_max_Value'),
  totalGcTimeMs: driver('ExecutorMetrics_TotalGCTime_Value'),
  activeJobs: driver('DAGScheduler_job_activeJobs_Value'),
  runningStages: driver('DAGScheduler_stage_runningStages_Value'),
  succeededJobs: driver('appStatus_jobs_succeededJobs_Count'),
  failedJobs: driver('appStatus_jobs_failedJobs_Count'),
  failedStages: driver('appStatus_stages_failedStages_Count'),
  completedTasks: driver('appStatus_tasks_completedTasks_Count'),
  failedTasks: driver('appStatus_tasks_failedTasks_Count'),
  droppedListenerEvents: driver('LiveListenerBus_queue_appStatus_numDroppedEvents_Count'),
  blockManagerMemoryUsedMb: driver('BlockManager_memory_memUsed_MB_Value'),
} as const;

/** Driver metrics that exist only under dynamic allocation (ExecutorAllocationManager's source). */
export const SPARK_DYNAMIC_ALLOCATION_METRICS = {
  allExecutors: driver('ExecutorAllocationManager_executors_numberAllExecutors_Value'),
  targetExecutors: driver('ExecutorAllocationManager_executors_numberTargetExecutors_Value'),
  executorsExitedUnexpectedly: driver('ExecutorAllocationManager_executors_numberExecutorsExitedUnexpectedly_Count'),
} as const;

/**
 * The executors' figures (`/metrics/executors/prometheus`), one series per active executor and the
 * driver, labelled application_id, application_name and executor_id. Memory figures are peaks.
 */
export const SPARK_EXECUTOR_METRICS = {
  info: 'spark_info',
  activeTasks: 'metrics_executor_activeTasks',
  completedTasks: 'metrics_executor_completedTasks_total',
  failedTasks: 'metrics_executor_failedTasks_total',
  shuffleReadBytes: 'metrics_executor_totalShuffleRead_bytes_total',
  shuffleWriteBytes: 'metrics_executor_totalShuffleWrite_bytes_total',
  gcSeconds: 'metrics_executor_totalGCTime_seconds_total',
  peakHeapBytes: 'metrics_executor_JVMHeapMemory_bytes',
  memoryUsedBytes: 'metrics_executor_memoryUsed_bytes',
} as const;
