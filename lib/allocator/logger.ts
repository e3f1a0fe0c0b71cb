// Structured logs: one JSON object per line on stdout, the shape log pipelines parse without rules.
import { LOG_LEVELS, type LogLevel } from './config';

/** Writes structured log lines. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** A logger writing JSON lines at `level` and above to `write` (stdout by default). */
export function jsonLogger(level: LogLevel, component: string, write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const at = (severity: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (LOG_LEVELS.indexOf(severity) < threshold) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level: severity, component, msg: message, ...fields })}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
