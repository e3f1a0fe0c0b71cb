// Reading a program's settings from its environment: each reader returns a usable value and records
// what was wrong with the one given (the variable, the value and the fix), so that a program reports
// every bad setting at once, in one EnvConfigError, instead of the first one only.
import { EnvConfigError } from '../allocator/config';
import { sparkDurationMs } from '../core/quantity';

/** The settings in an environment, and the problems found while reading them. */
export class EnvSettings {
  /** Every problem found so far, each naming the variable, its value and the fix. */
  readonly problems: string[] = [];

  constructor(private readonly env: Readonly<Record<string, string | undefined>>) {}

  /** The variable's value, trimmed; undefined when it is unset or blank. */
  text(variable: string): string | undefined {
    return this.env[variable]?.trim() || undefined;
  }

  /** A Spark duration of at least `minMs`, in ms; `fallback` when unset. */
  duration(variable: string, fallback: string, minMs: number): number {
    const value = this.text(variable) ?? fallback;
    const ms = sparkDurationMs(value);
    if (ms !== undefined && ms >= minMs) return ms;
    this.problems.push(`${variable}=${JSON.stringify(value)} is not a duration of at least ${minMs} ms: use a Spark duration such as ${JSON.stringify(fallback)}`);
    return sparkDurationMs(fallback)!;
  }

  /** A port number from `min` (0: any free port) to 65535; `fallback` when unset. */
  port(variable: string, fallback: number, min = 0): number {
    const value = this.text(variable) ?? String(fallback);
    if (/^[0-9]+$/.test(value) && Number(value) >= min && Number(value) <= 65535) return Number(value);
    this.problems.push(`${variable}=${JSON.stringify(value)} is not a port number: set it to e.g. ${fallback}`);
    return fallback;
  }

  /** Throws an EnvConfigError listing every problem, if there is one. */
  throwIfAny(component: string): void {
    if (this.problems.length) throw new EnvConfigError(component, this.problems);
  }
}
