// The `allocator` option of SparkApplication: the sparkplane sidecar creates the executor pods that
// Spark asks for, in batches, within the namespace's quota (docs/allocator-design.md).

/** Settings of the allocator sidecar. */
export interface AllocatorSpec {
  /**
   * The sparkplane image, which holds the sidecar and the JVM bridge jar. It is built by this
   * project (images/README.md) and pushed to your registry; there is no public default.
   */
  readonly image: string;
  /** Pull policy of the sparkplane image. @default "IfNotPresent" */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** Most executor pods requested in one round (`spark.kubernetes.allocation.batch.size`). @default - Spark's default for the version: 5 (3.5), 10 (4.0, 4.1), 20 (4.2+) */
  readonly batchSize?: number;
  /** Least time between two rounds that create pods, a Spark duration (`spark.kubernetes.allocation.batch.delay`). @default "1s" */
  readonly batchDelay?: string;
  /** Most executor pods Pending at once (`spark.kubernetes.allocation.maxPendingPods`). @default - no limit */
  readonly maxPendingPods?: number;
  /** While any executor pod has been Pending this long, create no more (the cluster is out of room), a Spark duration. @default "60s" */
  readonly pendingDeadline?: string;
  /** Delete an executor pod Pending this long and request another, a Spark duration (`spark.kubernetes.allocation.executor.timeout`). @default "600s" */
  readonly pendingTimeout?: string;
  /** Delete a Failed executor pod that Spark has not removed after this long, a Spark duration. @default "30s" */
  readonly failedPodGrace?: string;
  /** CPU request of the sidecar. @default "50m" */
  readonly cpuRequest?: string;
  /** Memory request and limit of the sidecar. @default "128Mi" */
  readonly memory?: string;
  /** Log level of the sidecar: debug, info, warn or error. @default "info" */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
}
