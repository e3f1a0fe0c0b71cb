// Validation collects every problem in a spec before anything renders, so a user fixes their
// props in one pass instead of one error at a time, and no half-rendered stack ever exists.

/** One thing wrong with a spec: where, what was given, and what would be valid. */
export interface ValidationProblem {
  /** Property path in the spec, e.g. `executor.memory` or `sparkConf["spark.foo"]`. */
  readonly path: string;
  /** The offending value, as given. @default - absent when the problem is a missing value */
  readonly value?: unknown;
  /** What is wrong and how to fix it. */
  readonly message: string;
}

/** Raised by `validate*` functions with every problem found, one per line. */
export class SparkplaneValidationError extends Error {
  /** The problems, in the order they were found. */
  public readonly problems: readonly ValidationProblem[];

  constructor(component: string, problems: readonly ValidationProblem[]) {
    super(
      `${component}: ${problems.length} invalid propert${problems.length === 1 ? 'y' : 'ies'}:\n` +
        problems.map((p) => `  - ${p.path}${'value' in p ? ` = ${describeValue(p.value)}` : ''}: ${p.message}`).join('\n'),
    );
    this.name = 'SparkplaneValidationError';
    this.problems = problems;
  }
}

/** Accumulates problems; `throwIfAny` raises them together. */
export class ProblemCollector {
  private readonly problems: ValidationProblem[] = [];

  /** Records a problem at `path` about `value`. */
  public add(path: string, value: unknown, message: string): void {
    this.problems.push({ path, value, message });
  }

  /** Records a required value that is missing. */
  public missing(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  /** How many problems have been recorded. */
  public get count(): number {
    return this.problems.length;
  }

  /** Whether nothing has been recorded. */
  public get isEmpty(): boolean {
    return this.problems.length === 0;
  }

  /** Throws a `SparkplaneValidationError` when any problem was recorded. */
  public throwIfAny(component: string): void {
    if (this.problems.length > 0) throw new SparkplaneValidationError(component, this.problems);
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 120 ? `${text.slice(0, 117)}...` : text;
  } catch {
    return String(value);
  }
}
