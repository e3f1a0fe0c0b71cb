// The janitor's StatsD relay of the shuffle service's metrics, over real UDP on loopback. The lines
// have the shapes Spark's StatsdReporter sends (StatsdReporter.scala, 3.5.9 to 4.2.0, L95–161): one
// line a packet, gauges `|g`, Dropwizard counters `|c` with their current count, timers flattened to
// `.max` … `.p999` `|ms`, then `.count` `|g` and the rates `|ms`; doubles as `%2.2f`, longs as is.
import * as dgram from 'dgram';
import { Registry } from 'prom-client';
import { parseStatsdPacket, relayedSeries, StatsdRelay } from '../../lib/shuffle-janitor/statsd-relay';

const NOW_MS = 1_764_115_200_000;

// One report of a 4.x service under load, as the sink sends it (the order is the reporter's).
const REPORT = [
  'shuffleService.blockTransferAvgSize_1min:NaN|g',
  'shuffleService.registeredExecutorsSize:3|g',
  'shuffleService.shuffle-server.usedDirectMemory:16777216|g',
  'shuffleService.shuffle-server.usedHeapMemory:0|g',
  'shuffleService.numActiveConnections:2|c',
  'shuffleService.numCaughtExceptions:0|c',
  'shuffleService.numRegisteredConnections:2|c',
  'shuffleService.blockTransferRateBytes.count:7340032|g',
  'shuffleService.blockTransferRateBytes.m1_rate:52428.80|ms',
  'shuffleService.blockTransferRateBytes.m5_rate:17476.27|ms',
  'shuffleService.blockTransferRateBytes.m15_rate:5825.42|ms',
  'shuffleService.blockTransferRateBytes.mean_rate:61166.93|ms',
  'shuffleService.openBlockRequestLatencyMillis.max:35.00|ms',
  'shuffleService.openBlockRequestLatencyMillis.mean:4.21|ms',
  'shuffleService.openBlockRequestLatencyMillis.min:0.00|ms',
  'shuffleService.openBlockRequestLatencyMillis.stddev:6.03|ms',
  'shuffleService.openBlockRequestLatencyMillis.p50:2.00|ms',
  'shuffleService.openBlockRequestLatencyMillis.p75:4.00|ms',
  'shuffleService.openBlockRequestLatencyMillis.p95:12.00|ms',
  'shuffleService.openBlockRequestLatencyMillis.p98:21.00|ms',
  'shuffleService.openBlockRequestLatencyMillis.p99:12.50|ms',
  'shuffleService.openBlockRequestLatencyMillis.p999:35.00|ms',
  'shuffleService.openBlockRequestLatencyMillis.count:42|g',
  'shuffleService.openBlockRequestLatencyMillis.m1_rate:0.35|ms',
  'shuffleService.openBlockRequestLatencyMillis.m5_rate:0.12|ms',
  'shuffleService.openBlockRequestLatencyMillis.m15_rate:0.04|ms',
  'shuffleService.openBlockRequestLatencyMillis.mean_rate:0.58|ms',
  // A static source that comes along unless spark.metrics.staticSources.enabled=false.
  'CodeGenerator.compilationTime.count:0|g',
];

/** Sends each line as its own datagram, as Spark does, and waits until the relay has them all. */
async function send(relay: StatsdRelay, port: number, packets: readonly string[]): Promise<void> {
  const socket = dgram.createSocket('udp4');
  const before = relay.packetsReceived;
  try {
    for (const packet of packets) await new Promise<void>((resolve, reject) => socket.send(packet, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())));
  } finally {
    socket.close();
  }
  const deadline = Date.now() + 5000;
  while (relay.packetsReceived < before + packets.length) {
    if (Date.now() > deadline) throw new Error(`the relay received ${relay.packetsReceived - before} of ${packets.length} packets`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The sample lines of the registry's text exposition, without HELP and TYPE. */
async function samples(registry: Registry): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

describe('reading the StatsD lines Spark sends', () => {
  it('reads name, value and type of each line, several lines to a packet', () => {
    expect(parseStatsdPacket('shuffleService.registeredExecutorsSize:3|g\nshuffleService.numActiveConnections:2|c\r\nshuffleService.openBlockRequestLatencyMillis.p99:12.50|ms\n')).toEqual({
      lines: [
        { name: 'shuffleService.registeredExecutorsSize', value: 3, type: 'g' },
        { name: 'shuffleService.numActiveConnections', value: 2, type: 'c' },
        { name: 'shuffleService.openBlockRequestLatencyMillis.p99', value: 12.5, type: 'ms' },
      ],
      malformed: 0,
    });
  });

  it('reads the values Java writes (negative longs, %2.2f in a comma locale) and gives NaN for the rest', () => {
    const value = (field: string) => parseStatsdPacket(`x:${field}|g`).lines[0].value;
    expect(value('-3')).toBe(-3);
    expect(value('0.00')).toBe(0);
    expect(value('1,50')).toBe(1.5);
    expect(value('1E+3')).toBe(1000);
    for (const field of ['NaN', 'Infinity', '-Infinity', 'abc', '', '+5', '1.2.3']) expect(value(field)).toBeNaN();
  });

  it('leaves out and counts lines that are not name:value|g, |c or |ms', () => {
    const packet = ['no-colon|g', 'x:1|h', 'x:1', ':1|g', 'x:1|g|@0.1', `${'n'.repeat(251)}:1|g`, 'shuffleService.numCaughtExceptions:1|c'].join('\n');
    expect(parseStatsdPacket(packet)).toEqual({ lines: [{ name: 'shuffleService.numCaughtExceptions', value: 1, type: 'c' }], malformed: 6 });
  });

  it('names a series after the Spark metric, without the shuffleService source, counters with _total', () => {
    expect(relayedSeries('shuffleService.openBlockRequestLatencyMillis.p99', 'ms')).toEqual({ name: 'sparkplane_shuffle_service_openBlockRequestLatencyMillis_p99', kind: 'gauge' });
    expect(relayedSeries('shuffleService.shuffle-server.usedDirectMemory', 'g')).toEqual({ name: 'sparkplane_shuffle_service_shuffle_server_usedDirectMemory', kind: 'gauge' });
    expect(relayedSeries('shuffleService.openBlockRequestLatencyMillis.count', 'g')).toEqual({ name: 'sparkplane_shuffle_service_openBlockRequestLatencyMillis_count_total', kind: 'counter' });
    // A Dropwizard Counter goes down too (numActiveConnections is decremented when a channel closes).
    expect(relayedSeries('shuffleService.numActiveConnections', 'c')).toEqual({ name: 'sparkplane_shuffle_service_numActiveConnections', kind: 'gauge' });
    expect(relayedSeries('CodeGenerator.compilationTime.p99', 'ms').name).toBe('sparkplane_shuffle_service_CodeGenerator_compilationTime_p99');
  });
});

describe('the StatsD relay on a real UDP socket', () => {
  let registry: Registry;
  let relay: StatsdRelay;
  let port: number;

  beforeEach(async () => {
    registry = new Registry();
    relay = new StatsdRelay(registry, { nodeName: 'node-a', now: () => NOW_MS });
    port = await relay.listen(0);
  });
  afterEach(() => relay.close());

  it('exposes a report\'s gauges, counts and quantiles with their types and the node label', async () => {
    await send(relay, port, REPORT);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE sparkplane_shuffle_service_registeredExecutorsSize gauge\nsparkplane_shuffle_service_registeredExecutorsSize{node="node-a"} 3');
    expect(text).toContain('# TYPE sparkplane_shuffle_service_shuffle_server_usedDirectMemory gauge\nsparkplane_shuffle_service_shuffle_server_usedDirectMemory{node="node-a"} 16777216');
    expect(text).toContain('# TYPE sparkplane_shuffle_service_numActiveConnections gauge\nsparkplane_shuffle_service_numActiveConnections{node="node-a"} 2');
    expect(text).toContain('# TYPE sparkplane_shuffle_service_openBlockRequestLatencyMillis_count_total counter\nsparkplane_shuffle_service_openBlockRequestLatencyMillis_count_total{node="node-a"} 42');
    expect(text).toContain('# TYPE sparkplane_shuffle_service_openBlockRequestLatencyMillis_p99 gauge\nsparkplane_shuffle_service_openBlockRequestLatencyMillis_p99{node="node-a"} 12.5');
    expect(text).toContain('# TYPE sparkplane_shuffle_service_blockTransferRateBytes_count_total counter\nsparkplane_shuffle_service_blockTransferRateBytes_count_total{node="node-a"} 7340032');
    expect(text).toContain('# TYPE sparkplane_shuffle_service_blockTransferRateBytes_m1_rate gauge\nsparkplane_shuffle_service_blockTransferRateBytes_m1_rate{node="node-a"} 52428.8');
    expect(text).toContain('sparkplane_shuffle_service_CodeGenerator_compilationTime_count_total{node="node-a"} 0');
    expect(text).toContain(`# TYPE sparkplane_shuffle_janitor_statsd_last_packet_timestamp_seconds gauge\nsparkplane_shuffle_janitor_statsd_last_packet_timestamp_seconds ${NOW_MS / 1000}`);
    // Every line but the NaN one is a series.
    const relayed = (await samples(registry)).filter((line) => line.startsWith('sparkplane_shuffle_service_'));
    expect(relayed).toHaveLength(REPORT.length - 1);
    expect(text).not.toContain('sparkplane_shuffle_service_blockTransferAvgSize_1min');
    expect(await samples(registry)).toEqual(expect.arrayContaining([
      'sparkplane_shuffle_janitor_statsd_dropped_lines_total{reason="not_a_number"} 1',
      'sparkplane_shuffle_janitor_statsd_dropped_lines_total{reason="malformed"} 0',
      'sparkplane_shuffle_janitor_statsd_dropped_lines_total{reason="series_limit"} 0',
    ]));
  });

  it('keeps the last value Spark sent, since Spark sends cumulative counts: 5 then 7 shows 7', async () => {
    await send(relay, port, ['shuffleService.numCaughtExceptions:5|c', 'shuffleService.openBlockRequestLatencyMillis.count:5|g']);
    await send(relay, port, ['shuffleService.numCaughtExceptions:7|c', 'shuffleService.openBlockRequestLatencyMillis.count:7|g']);
    expect(await samples(registry)).toEqual(expect.arrayContaining([
      'sparkplane_shuffle_service_numCaughtExceptions{node="node-a"} 7',
      'sparkplane_shuffle_service_openBlockRequestLatencyMillis_count_total{node="node-a"} 7',
    ]));
    // A restarted service starts again from 0; Prometheus reads the drop as a counter reset.
    await send(relay, port, ['shuffleService.openBlockRequestLatencyMillis.count:1|g']);
    expect(await samples(registry)).toContain('sparkplane_shuffle_service_openBlockRequestLatencyMillis_count_total{node="node-a"} 1');
  });

  it('stops showing a value that has become NaN rather than the last number', async () => {
    await send(relay, port, ['shuffleService.blockTransferAvgSize_1min:1024.00|g']);
    expect(await samples(registry)).toContain('sparkplane_shuffle_service_blockTransferAvgSize_1min{node="node-a"} 1024');
    await send(relay, port, ['shuffleService.blockTransferAvgSize_1min:NaN|g']);
    expect(await registry.metrics()).not.toContain('sparkplane_shuffle_service_blockTransferAvgSize_1min');
    await send(relay, port, ['shuffleService.blockTransferAvgSize_1min:512.00|g']);
    expect(await samples(registry)).toContain('sparkplane_shuffle_service_blockTransferAvgSize_1min{node="node-a"} 512');
  });

  it('counts and ignores malformed lines, and relays the good lines of the same packet', async () => {
    await send(relay, port, ['garbage\nshuffleService.registeredExecutorsSize:4|g\nx:1|h', 'y:2|c|@0.5']);
    const lines = await samples(registry);
    expect(lines).toContain('sparkplane_shuffle_janitor_statsd_dropped_lines_total{reason="malformed"} 3');
    expect(lines.filter((line) => line.startsWith('sparkplane_shuffle_service_'))).toEqual(['sparkplane_shuffle_service_registeredExecutorsSize{node="node-a"} 4']);
  });

  it('holds at most maxSeries series, counting the lines of further names, and still updates the held ones', async () => {
    await relay.close();
    relay = new StatsdRelay((registry = new Registry()), { maxSeries: 3 });
    port = await relay.listen(0);
    await send(relay, port, ['a:1|g', 'b:1|g', 'c:1|g', 'd:1|g', 'e:1|g', 'a:2|g']);
    const lines = await samples(registry);
    expect(lines.filter((line) => line.startsWith('sparkplane_shuffle_service_'))).toEqual(['sparkplane_shuffle_service_a 2', 'sparkplane_shuffle_service_b 1', 'sparkplane_shuffle_service_c 1']);
    expect(lines).toContain('sparkplane_shuffle_janitor_statsd_dropped_lines_total{reason="series_limit"} 2');
    // A series that became NaN frees its place.
    await send(relay, port, ['b:NaN|g', 'd:1|g']);
    expect((await samples(registry)).filter((line) => line.startsWith('sparkplane_shuffle_service_'))).toEqual(['sparkplane_shuffle_service_a 2', 'sparkplane_shuffle_service_c 1', 'sparkplane_shuffle_service_d 1']);
  });

  it('leaves out the node label when the node is not known', async () => {
    await relay.close();
    relay = new StatsdRelay((registry = new Registry()));
    port = await relay.listen(0);
    await send(relay, port, ['shuffleService.registeredExecutorsSize:3|g']);
    expect(await samples(registry)).toContain('sparkplane_shuffle_service_registeredExecutorsSize 3');
  });

  it('refuses to start on a port that is taken instead of relaying nothing', async () => {
    const second = new StatsdRelay(new Registry());
    await expect(second.listen(port)).rejects.toThrow(/EADDRINUSE/);
  });
});
