// What `sparkplane stage` prints: the per-file report, the summary, the JSON document and progress.
import { formatBytes, formatProgressBar, formatProgressLine, formatRate, ProgressReporter, progressMode } from '../../lib/cli/progress';
import { formatJsonReport, formatStagedFile, formatSummary, formatUnstagedFile, type StagedFile } from '../../lib/cli/report';

const ref = { namespace: 'spark', service: 'staging-server' };
const SHA = 'c'.repeat(64);
const URL_OF = `http://staging-server.spark.svc:7080/v1/blobs/sha256/${SHA}`;

describe('the stage report', () => {
  it('prints each staged file with its size, SHA-256 and in-cluster URL', () => {
    expect(formatStagedFile({ file: 'target/app.jar', size: 64 * 1024 * 1024 + 5, sha256: SHA, status: 'uploaded', url: URL_OF, uploadMs: 1200 })).toBe(
      `target/app.jar: uploaded, 64.0 MiB\n  sha256 ${SHA}\n  url    ${URL_OF}\n`,
    );
    expect(formatStagedFile({ file: 'conf/app.conf', size: 25, sha256: SHA, status: 'already-staged', url: URL_OF })).toBe(
      `conf/app.conf: already staged, 25 B\n  sha256 ${SHA}\n  url    ${URL_OF}\n`,
    );
  });

  it('prints a file that is not staged with the reason', () => {
    expect(formatUnstagedFile({ file: 'big.jar', size: 1, status: 'failed', error: 'too large' })).toBe('big.jar: failed: too large\n');
    expect(formatUnstagedFile({ file: 'b.jar', size: 1, status: 'not-attempted' })).toBe('b.jar: not attempted\n');
  });

  it('sums the run up in one line', () => {
    const files: StagedFile[] = [
      { file: 'a', size: 3 * 1024 * 1024, status: 'uploaded' },
      { file: 'b', size: 10, status: 'already-staged' },
      { file: 'c', size: 10, status: 'failed', error: 'x' },
      { file: 'd', size: 10, status: 'not-attempted' },
    ];
    expect(formatSummary(ref, files, 1530)).toBe('2 of 4 files staged to staging-server in namespace spark: 1 uploaded (3.0 MiB in 1.5 s), 1 already staged, 1 failed, 1 not attempted\n');
    expect(formatSummary(ref, [{ file: 'b', size: 10, status: 'already-staged' }], 0)).toBe('1 of 1 file staged to staging-server in namespace spark: 0 uploaded, 1 already staged\n');
  });

  it('prints one JSON document for scripts, ok only when every file is staged', () => {
    const staged: StagedFile = { file: 'a.jar', size: 4, sha256: SHA, status: 'uploaded', url: URL_OF, uploadMs: 7 };
    expect(JSON.parse(formatJsonReport(ref, [staged]))).toEqual({ namespace: 'spark', service: 'staging-server', ok: true, files: [staged] });
    expect(JSON.parse(formatJsonReport(ref, [staged, { file: 'b', size: 1, status: 'failed', error: 'x' }])).ok).toBe(false);
  });
});

describe('progress', () => {
  const state = { action: 'uploading', name: 'target/app-assembly.jar', doneBytes: 30 * 1024 * 1024, totalBytes: 64 * 1024 * 1024, elapsedMs: 2000 };

  it('formats sizes and rates in binary units', () => {
    expect([0, 13, 1536, 64 * 1024 * 1024, 3 * 1024 ** 4].map(formatBytes)).toEqual(['0 B', '13 B', '1.5 KiB', '64.0 MiB', '3.0 TiB']);
    expect(formatRate(30 * 1024 * 1024, 2000)).toBe('15.0 MiB/s');
    expect(formatRate(0, 2000)).toBeUndefined();
    expect(formatRate(10, 0)).toBeUndefined();
  });

  it('writes plain lines for logs: percent, bytes, rate', () => {
    expect(formatProgressLine(state)).toBe('uploading target/app-assembly.jar: 46% (30.0 MiB of 64.0 MiB, 15.0 MiB/s)');
    expect(formatProgressLine({ ...state, doneBytes: 0, elapsedMs: 0 })).toBe('uploading target/app-assembly.jar: 0% (0 B of 64.0 MiB)');
    expect(formatProgressLine({ ...state, doneBytes: 0, totalBytes: 0 })).toContain(': 100% (0 B of 0 B)');
  });

  it('draws a bar that fits the terminal, shortening the name from the left', () => {
    expect(formatProgressBar(state, 120)).toBe(`uploading target/app-assembly.jar [${'#'.repeat(14)}${'.'.repeat(16)}]  46%  30.0 MiB of 64.0 MiB  15.0 MiB/s`);
    const long = { ...state, name: `some/very/long/path/to/${'x'.repeat(80)}.jar` };
    for (const columns of [80, 100]) {
      const bar = formatProgressBar(long, columns);
      expect(bar).toHaveLength(columns - 1);
      expect(bar).toMatch(/^uploading …x+\.jar \[#{5}\.{5}\]  46%  30\.0 MiB of 64\.0 MiB  15\.0 MiB\/s$/);
    }
    // Too narrow for all of it: the smallest name and bar, the numbers whole.
    expect(formatProgressBar(long, 40)).toBe(`uploading …xxx.jar [#####.....]  46%  30.0 MiB of 64.0 MiB  15.0 MiB/s`);
  });

  it('chooses a bar on a terminal, lines in a log, nothing when quiet', () => {
    expect(progressMode({ quiet: false, isTTY: true })).toBe('bar');
    expect(progressMode({ quiet: false, isTTY: false })).toBe('lines');
    expect(progressMode({ quiet: true, isTTY: true })).toBe('off');
  });

  it('logs a line at start, every interval and at the end; hashing only on a terminal', () => {
    let clock = 0;
    const written: string[] = [];
    const reporter = new ProgressReporter({ write: (t) => written.push(t) }, 'lines', { now: () => clock, lineIntervalMs: 5000 });
    reporter.start('hashing', 'a.jar', 100, false).finish(true);
    const task = reporter.start('uploading', 'a.jar', 100);
    clock = 1000;
    task.update(10);
    clock = 5000;
    task.update(50);
    clock = 6000;
    task.update(60);
    clock = 8000;
    task.update(100);
    task.finish(true);
    expect(written).toEqual([
      'uploading a.jar: 0% (0 B of 100 B)\n',
      'uploading a.jar: 50% (50 B of 100 B, 10 B/s)\n',
      'uploading a.jar: 100% (100 B of 100 B, 13 B/s)\n',
    ]);
  });

  it('redraws the bar in place at most every 100 ms and clears it at the end, on success or not', () => {
    let clock = 0;
    const written: string[] = [];
    const reporter = new ProgressReporter({ write: (t) => written.push(t), columns: 100 }, 'bar', { now: () => clock });
    const task = reporter.start('hashing', 'a.jar', 100, false);
    clock = 50;
    task.update(40);
    clock = 150;
    task.update(80);
    task.finish(false);
    expect(written).toHaveLength(3);
    expect(written[0]).toMatch(/^\rhashing a\.jar \[\.+\]   0%  0 B of 100 B\x1b\[K$/);
    expect(written[1]).toMatch(/^\rhashing a\.jar \[#+\.+\]  80%  80 B of 100 B  533 B\/s\x1b\[K$/);
    expect(written[2]).toBe('\r\x1b[K');
  });

  it('shows nothing when off', () => {
    const written: string[] = [];
    const task = new ProgressReporter({ write: (t) => written.push(t) }, 'off').start('uploading', 'a', 10);
    task.update(5);
    task.finish(true);
    expect(written).toEqual([]);
  });
});
