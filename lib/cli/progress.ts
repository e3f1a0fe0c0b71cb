// Progress of hashing and uploading large files, on stderr: a bar redrawn in place on a terminal,
// plain lines every few seconds in a log (CI), nothing with --quiet. Formatting is pure; the
// reporter takes its clock and its stream from the caller, so tests drive both.

/** Files at least this big get progress output; smaller ones finish before it would help. */
export const PROGRESS_THRESHOLD_BYTES = 8 * 1024 * 1024;

/** How progress is shown. */
export type ProgressMode = 'bar' | 'lines' | 'off';

/** A bar on a terminal, lines elsewhere, nothing when quiet. */
export function progressMode(options: { readonly quiet: boolean; readonly isTTY: boolean }): ProgressMode {
  if (options.quiet) return 'off';
  return options.isTTY ? 'bar' : 'lines';
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** A size in binary units: "13 B", "1.5 KiB", "64.0 MiB". */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(bytes)} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** A rate, or undefined before anything is done. */
export function formatRate(bytes: number, elapsedMs: number): string | undefined {
  return elapsedMs > 0 && bytes > 0 ? `${formatBytes((bytes * 1000) / elapsedMs)}/s` : undefined;
}

/** One moment of a task: what is done of what, since when. */
export interface ProgressState {
  /** What is happening: "hashing", "uploading". */
  readonly action: string;
  /** The file, as the user named it. */
  readonly name: string;
  readonly doneBytes: number;
  readonly totalBytes: number;
  readonly elapsedMs: number;
}

function percent(state: ProgressState): number {
  return state.totalBytes === 0 ? 100 : Math.min(100, Math.floor((state.doneBytes * 100) / state.totalBytes));
}

/** The plain line of a log: `uploading big.jar: 48% (30.7 MiB of 64.0 MiB, 52.1 MiB/s)`. */
export function formatProgressLine(state: ProgressState): string {
  const rate = formatRate(state.doneBytes, state.elapsedMs);
  return `${state.action} ${state.name}: ${percent(state)}% (${formatBytes(state.doneBytes)} of ${formatBytes(state.totalBytes)}${rate ? `, ${rate}` : ''})`;
}

/**
 * The terminal bar, at most `columns` wide when they allow it: `uploading big.jar [#####.....]  48%  30.7 MiB of 64.0 MiB  52.1 MiB/s`.
 * The bar takes 10 to 30 columns; the name is shortened from the left when space is short (to 8
 * characters at least); the numbers never are.
 */
export function formatProgressBar(state: ProgressState, columns: number): string {
  const rate = formatRate(state.doneBytes, state.elapsedMs);
  const numbers = `${String(percent(state)).padStart(3)}%  ${formatBytes(state.doneBytes)} of ${formatBytes(state.totalBytes)}${rate ? `  ${rate}` : ''}`;
  // "<action> <name> [<bar>] <numbers>", within columns - 1 (writing the last column wraps some terminals).
  const room = columns - 1 - (state.action.length + numbers.length + 5);
  const barWidth = Math.min(30, Math.max(10, room - state.name.length));
  const nameWidth = Math.max(8, room - barWidth);
  const name = state.name.length <= nameWidth ? state.name : `…${state.name.slice(state.name.length - nameWidth + 1)}`;
  const filled = Math.round((percent(state) / 100) * barWidth);
  return `${state.action} ${name} [${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${numbers}`;
}

/** Where progress goes: stderr, or a test's buffer. */
export interface ProgressSink {
  write(text: string): void;
  /** Width of the terminal, for the bar. */
  readonly columns?: number;
}

/** One file's hashing or upload. */
export interface ProgressTask {
  /** The running total of bytes done. */
  update(doneBytes: number): void;
  /** The task ended (successfully or not): the bar is cleared, the log gets its last line. */
  finish(succeeded: boolean): void;
}

const NO_TASK: ProgressTask = { update: () => {}, finish: () => {} };

/** Shows tasks on a sink in one mode. */
export class ProgressReporter {
  private readonly now: () => number;
  private readonly lineIntervalMs: number;
  private readonly redrawIntervalMs: number;

  constructor(
    private readonly sink: ProgressSink,
    private readonly mode: ProgressMode,
    options: { now?: () => number; lineIntervalMs?: number; redrawIntervalMs?: number } = {},
  ) {
    this.now = options.now ?? Date.now;
    this.lineIntervalMs = options.lineIntervalMs ?? 5000;
    this.redrawIntervalMs = options.redrawIntervalMs ?? 100;
  }

  /**
   * Starts showing a task. `logged` false keeps it off plain logs (hashing is quick and would only
   * add noise to CI output), while a terminal still shows its bar.
   */
  start(action: string, name: string, totalBytes: number, logged = true): ProgressTask {
    if (this.mode === 'off' || (this.mode === 'lines' && !logged)) return NO_TASK;
    const startedAt = this.now();
    let lastShownAt = -Infinity;
    let done = 0;
    const state = (): ProgressState => ({ action, name, doneBytes: done, totalBytes, elapsedMs: this.now() - startedAt });
    const show = (force: boolean) => {
      const at = this.now();
      if (!force && at - lastShownAt < (this.mode === 'bar' ? this.redrawIntervalMs : this.lineIntervalMs)) return;
      lastShownAt = at;
      if (this.mode === 'bar') this.sink.write(`\r${formatProgressBar(state(), this.sink.columns ?? 80)}\x1b[K`);
      else this.sink.write(`${formatProgressLine(state())}\n`);
    };
    show(true);
    return {
      update: (doneBytes) => {
        done = doneBytes;
        show(false);
      },
      finish: (succeeded) => {
        if (this.mode === 'bar') this.sink.write('\r\x1b[K');
        else if (succeeded) show(true);
      },
    };
  }
}
