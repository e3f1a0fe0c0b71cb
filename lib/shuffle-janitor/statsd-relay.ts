// Relays the external shuffle service's metrics to Prometheus. The standalone service has no HTTP
// server (so no PrometheusServlet); its StatsdSink sends UDP lines to the janitor, in the same pod,
// which keeps the last value of each series and serves it on its own /metrics (design §1.5, §2.4).
import * as dgram from 'dgram';
import { Counter, Gauge, type Registry } from 'prom-client';

/** A StatsD type that Spark's StatsdReporter sends: gauge, counter or timer. */
export type StatsdType = 'g' | 'c' | 'ms';

/** One `name:value|type` line. */
export interface StatsdLine {
  /** The metric's name as Spark sent it, e.g. `shuffleService.openBlockRequestLatencyMillis.p99`. */
  readonly name: string;
  /** The value; NaN when the value field is not a finite decimal number (Spark sends `NaN` for an undefined ratio). */
  readonly value: number;
  readonly type: StatsdType;
}

/** The lines of one UDP packet. */
export interface StatsdPacket {
  readonly lines: readonly StatsdLine[];
  /** Lines that are not `name:value|g`, `|c` or `|ms`; they are left out of `lines`. */
  readonly malformed: number;
}

/** How a relayed series is exposed. */
export interface RelayedSeries {
  /** The Prometheus metric name, e.g. `sparkplane_shuffle_service_openBlockRequestLatencyMillis_p99`. */
  readonly name: string;
  readonly kind: 'counter' | 'gauge';
}

/** Why a line was dropped: the `reason` label of `sparkplane_shuffle_janitor_statsd_dropped_lines_total`. */
export type DroppedLineReason = 'malformed' | 'not_a_number' | 'series_limit';

/** Options of a StatsdRelay. */
export interface StatsdRelayOptions {
  /** Value of the `node` label on every relayed series. @default - no `node` label */
  readonly nodeName?: string;
  /** Most series held at once; lines of further names are dropped and counted. @default 1000 */
  readonly maxSeries?: number;
  /** Called on a socket error after the relay listens. @default - ignored */
  readonly onError?: (error: Error) => void;
  /** The clock, ms since the epoch. @default Date.now */
  readonly now?: () => number;
}

/** Prefix of every relayed series. */
export const RELAYED_METRIC_PREFIX = 'sparkplane_shuffle_service_';
/** Default of StatsdRelayOptions.maxSeries: over 7 times the 131 series a service sends with its static sources. */
export const DEFAULT_MAX_RELAYED_SERIES = 1000;
// Spark's names are short (the longest the service sends has 61 characters); a cap keeps 1000 series
// of a misbehaving sender's 64 KiB names from holding 64 MiB.
const MAX_NAME_LENGTH = 250;
// The source name that MetricsSystem.buildRegistryName gives every metric of the service.
const SERVICE_SOURCE_PREFIX = 'shuffleService.';
// `name:value|type`. The name is everything before the last colon: a colon inside a name (Spark's
// reporter does not forbid one) still parses, and a value never contains one.
const LINE = /^(.+):([^:|]*)\|(g|c|ms)$/;
// What Java's `%2.2f` and Long.toString produce. A comma decimal comes from a JVM whose default
// locale writes one (de_DE: `1,50`). No leading `+`: in StatsD `+n|g` would mean "add n".
const DECIMAL = /^-?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?$/;

/** The lines of a StatsD packet; one packet may hold several lines separated by newlines. */
export function parseStatsdPacket(text: string): StatsdPacket {
  const lines: StatsdLine[] = [];
  let malformed = 0;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') continue;
    const match = LINE.exec(line);
    if (!match || match[1].length > MAX_NAME_LENGTH) {
      malformed++;
      continue;
    }
    lines.push({ name: match[1], value: parseStatsdValue(match[2]), type: match[3] as StatsdType });
  }
  return { lines, malformed };
}

/** The number in a StatsD value field; NaN for `NaN`, `Infinity` and anything that is not a decimal. */
export function parseStatsdValue(field: string): number {
  if (!DECIMAL.test(field)) return NaN;
  return Number(field.replace(',', '.'));
}

/**
 * The Prometheus series a Spark metric is relayed as. The `shuffleService.` source name is dropped
 * and every other character outside [a-zA-Z0-9_] becomes `_`.
 *
 * Only the `.count` of a meter, timer or histogram is a counter (named `…_count_total`, as Prometheus
 * names counters): those are the monotonic counts, which Spark sends as `|g`. A `|c` line is a
 * Dropwizard Counter, which Spark increments *and decrements* (numActiveConnections,
 * numRegisteredConnections), so it is a gauge.
 */
export function relayedSeries(sparkName: string, type: StatsdType): RelayedSeries {
  const local = sparkName.startsWith(SERVICE_SOURCE_PREFIX) && sparkName.length > SERVICE_SOURCE_PREFIX.length
    ? sparkName.slice(SERVICE_SOURCE_PREFIX.length)
    : sparkName;
  const name = RELAYED_METRIC_PREFIX + local.replace(/[^a-zA-Z0-9_]/gu, '_');
  return type === 'g' && sparkName.endsWith('.count') ? { name: `${name}_total`, kind: 'counter' } : { name, kind: 'gauge' };
}

interface HeldSeries {
  readonly kind: RelayedSeries['kind'];
  readonly metric: Counter<string> | Gauge<string>;
}

/**
 * Receives the service's StatsD packets on 127.0.0.1 and exposes the last value of every series on a
 * prom-client Registry. Values are stored, never added: Spark sends cumulative counts every period.
 */
export class StatsdRelay {
  private readonly series = new Map<string, HeldSeries>();
  private readonly labels: Record<string, string>;
  private readonly maxSeries: number;
  private readonly now: () => number;
  private readonly lastPacket: Gauge;
  private readonly dropped: Counter<'reason'>;
  private socket?: dgram.Socket;
  private received = 0;

  constructor(private readonly registry: Registry, private readonly options: StatsdRelayOptions = {}) {
    this.labels = options.nodeName ? { node: options.nodeName } : {};
    this.maxSeries = options.maxSeries ?? DEFAULT_MAX_RELAYED_SERIES;
    this.now = options.now ?? Date.now;
    this.lastPacket = new Gauge({
      name: 'sparkplane_shuffle_janitor_statsd_last_packet_timestamp_seconds',
      help: 'When the last StatsD packet from the shuffle service arrived (0: none yet); an old value means its sink has stopped',
      registers: [registry],
    });
    this.dropped = new Counter({
      name: 'sparkplane_shuffle_janitor_statsd_dropped_lines_total',
      help: 'StatsD lines not relayed: malformed, not_a_number (Spark sends NaN for an idle ratio such as blockTransferAvgSize_1min), or series_limit',
      labelNames: ['reason'],
      registers: [registry],
    });
    for (const reason of ['malformed', 'not_a_number', 'series_limit'] satisfies DroppedLineReason[]) this.dropped.inc({ reason }, 0);
  }

  /** Packets received so far. */
  get packetsReceived(): number {
    return this.received;
  }

  /**
   * Listens on 127.0.0.1:`port` (0: any free port) and resolves to the port. Only loopback: the pod is
   * on the host network, so any other address would take metrics from the whole network.
   */
  async listen(port: number): Promise<number> {
    if (this.socket) throw new Error('the StatsD relay is already listening');
    // The service sends its whole report at once every period, one packet a line (82 lines, 131 with
    // the static sources); a larger buffer (capped by net.core.rmem_max) keeps a busy event loop from
    // losing the end of the burst.
    const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', (error) => this.options.onError?.(error));
    socket.on('message', (message) => this.receive(message.toString('utf8')));
    this.socket = socket;
    return socket.address().port;
  }

  /** Applies one packet's lines. */
  receive(packet: string): void {
    this.received++;
    this.lastPacket.set(this.now() / 1000);
    const parsed = parseStatsdPacket(packet);
    if (parsed.malformed) this.dropped.inc({ reason: 'malformed' }, parsed.malformed);
    for (const line of parsed.lines) {
      const reason = this.apply(line);
      if (reason) this.dropped.inc({ reason });
    }
  }

  /** Stops listening; the last values stay on the registry. */
  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private apply(line: StatsdLine): DroppedLineReason | undefined {
    const target = relayedSeries(line.name, line.type);
    const held = this.series.get(target.name);
    if (!Number.isFinite(line.value)) {
      // An undefined value now (a ratio with nothing to divide) must not show the last defined one.
      if (held) this.forget(target.name);
      return 'not_a_number';
    }
    if (target.kind === 'counter' && line.value < 0) return 'malformed';
    let series = held?.kind === target.kind ? held : undefined;
    if (!series) {
      if (!held && this.series.size >= this.maxSeries) return 'series_limit';
      // Two Spark names may sanitize to one Prometheus name; the last line decides its type.
      if (held) this.forget(target.name);
      series = this.hold(line, target);
    }
    if (series.metric instanceof Counter) {
      series.metric.reset();
      series.metric.inc(this.labels, line.value);
    } else {
      series.metric.set(this.labels, line.value);
    }
    return undefined;
  }

  private hold(line: StatsdLine, target: RelayedSeries): HeldSeries {
    const config = {
      name: target.name,
      help: `Shuffle service metric ${line.name} (StatsD |${line.type}), last value received`,
      labelNames: Object.keys(this.labels),
      registers: [this.registry],
    };
    const series: HeldSeries = { kind: target.kind, metric: target.kind === 'counter' ? new Counter(config) : new Gauge(config) };
    this.series.set(target.name, series);
    return series;
  }

  private forget(name: string): void {
    this.series.delete(name);
    this.registry.removeSingleMetric(name);
  }
}
