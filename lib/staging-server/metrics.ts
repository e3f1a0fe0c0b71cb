// The staging server's Prometheus metrics. Names carry the `sparkplane_staging_` prefix and follow the
// allocator's conventions (docs/staging-server-research.md §6); no digest or file name is ever a
// label. STAGING_METRIC_NAMES is the list alerts and dashboards may rely on.
import * as fs from 'fs';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every metric the staging server exports (besides the process_* and nodejs_* defaults). */
export const STAGING_METRIC_NAMES = [
  'sparkplane_staging_uploads_total',
  'sparkplane_staging_upload_bytes_total',
  'sparkplane_staging_downloads_total',
  'sparkplane_staging_download_bytes_total',
  'sparkplane_staging_request_duration_seconds',
  'sparkplane_staging_uploads_in_progress',
  'sparkplane_staging_blobs',
  'sparkplane_staging_stored_bytes',
  'sparkplane_staging_volume_free_bytes',
  'sparkplane_staging_evicted_total',
  'sparkplane_staging_evicted_bytes_total',
  'sparkplane_staging_token_refreshes_total',
] as const;

/** Results of an upload, the `result` label of sparkplane_staging_uploads_total. */
export type UploadResult = 'created' | 'exists' | 'digest_mismatch' | 'too_large' | 'unauthorized' | 'aborted' | 'error';
/** Results of a download (GET), the `result` label of sparkplane_staging_downloads_total. */
export type DownloadResult = 'ok' | 'not_found' | 'unauthorized' | 'aborted' | 'error';

/** What the gauges read when scraped. */
export interface StagingGaugeSources {
  uploadsInProgress(): number;
  stats(): { blobs: number; bytes: number };
  /** The storage directory, whose filesystem's free space is reported. */
  readonly root: string;
}

/** The staging server's metrics in their own registry. */
export class StagingMetrics {
  readonly registry = new Registry();
  readonly uploads = new Counter({ name: 'sparkplane_staging_uploads_total', help: 'Uploads (PUT), by result', labelNames: ['result'], registers: [this.registry] });
  readonly uploadBytes = new Counter({ name: 'sparkplane_staging_upload_bytes_total', help: 'Bytes of verified uploads (created or already present)', registers: [this.registry] });
  readonly downloads = new Counter({ name: 'sparkplane_staging_downloads_total', help: 'Downloads (GET), by result', labelNames: ['result'], registers: [this.registry] });
  readonly downloadBytes = new Counter({ name: 'sparkplane_staging_download_bytes_total', help: 'Bytes sent by downloads, complete or not', registers: [this.registry] });
  readonly requestSeconds = new Histogram({
    name: 'sparkplane_staging_request_duration_seconds',
    help: 'Time of a blob request, by operation (upload, download, head)',
    labelNames: ['operation'],
    buckets: [0.005, 0.05, 0.25, 1, 5, 30, 120, 600],
    registers: [this.registry],
  });
  readonly evicted = new Counter({ name: 'sparkplane_staging_evicted_total', help: 'Blobs deleted after being unused for longer than the time to live', registers: [this.registry] });
  readonly evictedBytes = new Counter({ name: 'sparkplane_staging_evicted_bytes_total', help: 'Bytes of the blobs deleted after the time to live', registers: [this.registry] });
  readonly tokenRefreshes = new Counter({ name: 'sparkplane_staging_token_refreshes_total', help: 'Readings of the tokens (Secret or files), by result (ok, error)', labelNames: ['result'], registers: [this.registry] });

  constructor(sources: StagingGaugeSources, options: { defaultMetrics?: boolean } = {}) {
    new Gauge({ name: 'sparkplane_staging_uploads_in_progress', help: 'Uploads being received', registers: [this.registry], collect() { this.set(sources.uploadsInProgress()); } });
    new Gauge({ name: 'sparkplane_staging_blobs', help: 'Blobs stored', registers: [this.registry], collect() { this.set(sources.stats().blobs); } });
    new Gauge({ name: 'sparkplane_staging_stored_bytes', help: 'Bytes of the blobs stored', registers: [this.registry], collect() { this.set(sources.stats().bytes); } });
    new Gauge({
      name: 'sparkplane_staging_volume_free_bytes',
      help: 'Bytes available to the server on the storage volume',
      registers: [this.registry],
      async collect() {
        const stats = await fs.promises.statfs(sources.root).catch(() => undefined);
        if (stats) this.set(Number(stats.bavail) * Number(stats.bsize));
      },
    });
    // Event-loop lag is sampled once a second, as the allocator does, so an idle server stays idle.
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 1000 });
  }
}
