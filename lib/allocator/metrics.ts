// The allocator's Prometheus metrics. Names carry the `sparkplane_allocator_` prefix; the monitoring
// component's alerts and dashboards read exactly these (ALLOCATOR_METRIC_NAMES is their list).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every metric the allocator exports (besides the process_* and nodejs_* defaults). */
export const ALLOCATOR_METRIC_NAMES = [
  'sparkplane_allocator_expected_executors',
  'sparkplane_allocator_requested_executors',
  'sparkplane_allocator_registered_executors',
  'sparkplane_allocator_pending_executors',
  'sparkplane_allocator_pods_created_total',
  'sparkplane_allocator_pods_deleted_total',
  'sparkplane_allocator_api_errors_total',
  'sparkplane_allocator_api_requests_total',
  'sparkplane_allocator_round_duration_seconds',
  'sparkplane_allocator_mint_duration_seconds',
  'sparkplane_allocator_last_sync_age_seconds',
] as const;

/** The allocator's metrics in their own registry. */
export class AllocatorMetrics {
  readonly registry = new Registry();
  private readonly expected = this.gauge('sparkplane_allocator_expected_executors', 'Executors Spark wants (dynamic allocation target), by resource profile');
  private readonly requested = this.gauge('sparkplane_allocator_requested_executors', 'Executor pods that exist, are being created or are being minted, by resource profile');
  private readonly registered = this.gauge('sparkplane_allocator_registered_executors', 'Executors registered with the driver, by resource profile');
  private readonly pending = this.gauge('sparkplane_allocator_pending_executors', 'Requested executors not registered yet, by resource profile');
  readonly podsCreated = new Counter({ name: 'sparkplane_allocator_pods_created_total', help: 'Executor pods created', labelNames: ['resource_profile'], registers: [this.registry] });
  readonly podsDeleted = new Counter({ name: 'sparkplane_allocator_pods_deleted_total', help: 'Executor pods deleted by the allocator, by reason (pending-timeout, excess, failed)', labelNames: ['reason'], registers: [this.registry] });
  readonly apiErrors = new Counter({ name: 'sparkplane_allocator_api_errors_total', help: 'Failed Kubernetes API calls, by verb and HTTP status', labelNames: ['verb', 'code'], registers: [this.registry] });
  readonly apiRequests = new Counter({ name: 'sparkplane_allocator_api_requests_total', help: 'Kubernetes API requests made (lists and writes; watches not counted), by HTTP method', labelNames: ['method'], registers: [this.registry] });
  readonly roundSeconds = new Histogram({ name: 'sparkplane_allocator_round_duration_seconds', help: 'Time of one allocation round (loop latency)', buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1], registers: [this.registry] });
  readonly mintSeconds = new Histogram({ name: 'sparkplane_allocator_mint_duration_seconds', help: 'Time from a mint request to the minted pods arriving from the bridge', buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [this.registry] });

  constructor(lastSyncAgeSeconds: () => number) {
    new Gauge({
      name: 'sparkplane_allocator_last_sync_age_seconds',
      help: 'Seconds since the bridge in the driver last synced (large: the driver JVM is paused or gone)',
      registers: [this.registry],
      collect() {
        this.set(lastSyncAgeSeconds());
      },
    });
    // Event-loop lag is sampled once a second, not every 10 ms, so an idle sidecar stays idle.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 1000 });
  }

  /** Sets the four counts of a resource profile. */
  observeProfile(resourceProfileId: number, counts: { expected: number; requested: number; registered: number; pending: number }): void {
    const labels = { resource_profile: String(resourceProfileId) };
    this.expected.set(labels, counts.expected);
    this.requested.set(labels, counts.requested);
    this.registered.set(labels, counts.registered);
    this.pending.set(labels, counts.pending);
  }

  private gauge(name: string, help: string): Gauge<'resource_profile'> {
    return new Gauge({ name, help, labelNames: ['resource_profile'], registers: [this.registry] });
  }
}
