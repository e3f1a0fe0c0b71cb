// Spark's final report, read back as the driver's endpoint would have served it. SparkContext.stop()
// calls MetricsSystem.report() once the listener bus has drained, and the driver-only CsvSink that
// `monitoring.pushgateway` configures then writes one file per metric (Dropwizard's CsvReporter:
// `<name>.csv`, a header that says the metric's kind, one row per report). The translation follows
// Spark's PrometheusServlet exactly, name for name, so pushed series continue the scraped ones.
import * as fs from 'fs';
import * as path from 'path';

/** One column of a CsvReporter row, by the kind its header names, and the servlet's suffix for it. */
interface Column {
  readonly csv: string;
  readonly suffix: string;
  /** Durations, which the servlet writes in nanoseconds and CsvReporter in its duration unit. */
  readonly duration?: boolean;
}

const SNAPSHOT: Column[] = [
  { csv: 'max', suffix: 'Max', duration: true },
  { csv: 'mean', suffix: 'Mean', duration: true },
  { csv: 'min', suffix: 'Min', duration: true },
  { csv: 'p50', suffix: '50thPercentile', duration: true },
  { csv: 'p75', suffix: '75thPercentile', duration: true },
  { csv: 'p95', suffix: '95thPercentile', duration: true },
  { csv: 'p98', suffix: '98thPercentile', duration: true },
  { csv: 'p99', suffix: '99thPercentile', duration: true },
  { csv: 'p999', suffix: '999thPercentile', duration: true },
  { csv: 'stddev', suffix: 'StdDev', duration: true },
];
const RATES: Column[] = [
  { csv: 'mean_rate', suffix: 'MeanRate' },
  { csv: 'm1_rate', suffix: 'OneMinuteRate' },
  { csv: 'm5_rate', suffix: 'FiveMinuteRate' },
  { csv: 'm15_rate', suffix: 'FifteenMinuteRate' },
];

/** The kinds CsvReporter writes, told apart by their headers, with the servlet's `type` label and columns. */
const KINDS: ReadonlyArray<{ readonly header: string; readonly type: string; readonly columns: readonly Column[] }> = [
  { header: 't,value', type: 'gauges', columns: [{ csv: 'value', suffix: 'Number' }, { csv: 'value', suffix: 'Value' }] },
  { header: 't,count', type: 'counters', columns: [{ csv: 'count', suffix: 'Count' }] },
  { header: 't,count,max,mean,min,stddev,p50,p75,p95,p98,p99,p999', type: 'histograms', columns: [{ csv: 'count', suffix: 'Count' }, ...SNAPSHOT.map((c) => ({ ...c, duration: false }))] },
  { header: 't,count,mean_rate,m1_rate,m5_rate,m15_rate,rate_unit', type: 'counters', columns: [{ csv: 'count', suffix: 'Count' }, ...RATES] },
  { header: 't,count,max,mean,min,stddev,p50,p75,p95,p98,p99,p999,mean_rate,m1_rate,m5_rate,m15_rate,rate_unit,duration_unit', type: 'timers', columns: [{ csv: 'count', suffix: 'Count' }, ...SNAPSHOT, ...RATES] },
];

/** Nanoseconds per CsvReporter duration unit (TimeUnit's name, lower case). */
const NANOS: Readonly<Record<string, number>> = { nanoseconds: 1, microseconds: 1e3, milliseconds: 1e6, seconds: 1e9, minutes: 60e9, hours: 3600e9, days: 86400e9 };

/** The servlet's prefix of a metric: `metrics_<name, non-alphanumerics as _>_`. */
export function servletPrefix(metric: string): string {
  return `metrics_${metric.replace(/[^a-zA-Z0-9]/g, '_')}_`;
}

/**
 * The sample lines the servlet would serve for one CsvReporter file (its metric's name and text),
 * from the file's last row; none for an unknown kind, a string gauge or a cut-off row.
 */
export function finalReportSamples(metric: string, csv: string): string[] {
  const lines = csv.split('\n').map((l) => l.trim()).filter(Boolean);
  const kind = KINDS.find((k) => k.header === lines[0]);
  if (!kind || lines.length < 2) return [];
  const names = lines[0].split(',');
  const row = lines[lines.length - 1].split(',');
  if (row.length !== names.length) return [];
  const cell = (column: string) => row[names.indexOf(column)];
  const nanos = NANOS[cell('duration_unit') ?? 'nanoseconds'] ?? 1;
  const samples: string[] = [];
  for (const column of kind.columns) {
    const value = Number(cell(column.csv));
    if (cell(column.csv) === '' || !Number.isFinite(value)) return [];
    samples.push(`${servletPrefix(metric)}${column.suffix}{type="${kind.type}"} ${column.duration ? value * nanos : value}`);
  }
  return samples;
}

/** Every sample of the final report in `dir`; none when Spark has not written it (yet). */
export function readFinalReport(dir: string): string[] {
  let files: string[];
  try {
    files = fs.readdirSync(dir).filter((f) => f.endsWith('.csv')).sort();
  } catch {
    return [];
  }
  return files.flatMap((file) => {
    try {
      return finalReportSamples(file.slice(0, -'.csv'.length), fs.readFileSync(path.join(dir, file), 'utf8'));
    } catch {
      return [];
    }
  });
}
