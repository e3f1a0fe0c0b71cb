// The Spark configuration keys that exist in each supported Spark line. The data is generated from
// Spark's own jars (scripts/spark-conf-keys/generate): every ConfigEntry Spark registers, plus the
// key families Spark reads by prefix (spark.kubernetes.driver.label.*, spark.hadoop.*, ...).
import * as path from 'path';
import { SUPPORTED_SPARK_LINES, type SparkLine } from './spark-version';

/** What the generated data records about one key. */
export interface SparkConfKeyInfo {
  /** Default value as Spark prints it, or null when it has none. */
  readonly default: string | null;
  /** The Spark version that introduced the key, when Spark records it. */
  readonly since: string | null;
  /** For a deprecated alternative name: the key it stands for. @default - not an alternative */
  readonly alternativeOf?: string;
}

interface ConfKeysFile {
  readonly sparkVersion: string;
  readonly keys: Record<string, SparkConfKeyInfo>;
}

interface PrefixesFile {
  readonly prefixes: ReadonlyArray<{ readonly prefix: string; readonly since: string | null }>;
  readonly exactKeys: ReadonlyArray<{ readonly key: string; readonly since?: string | null }>;
}

const dataDir = path.join(__dirname, 'conf-keys');
const keysByLine = new Map<SparkLine, ReadonlyMap<string, SparkConfKeyInfo>>();
let prefixData: PrefixesFile | undefined;

/** The configuration keys Spark registers in `line` (loaded once, on first use). */
export function sparkConfKeys(line: SparkLine): ReadonlyMap<string, SparkConfKeyInfo> {
  let keys = keysByLine.get(line);
  if (!keys) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const file: ConfKeysFile = require(path.join(dataDir, `spark-${line}.json`));
    keys = new Map(Object.entries(file.keys));
    keysByLine.set(line, keys);
  }
  return keys;
}

function prefixes(): PrefixesFile {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  prefixData ??= require(path.join(dataDir, 'prefixes.json')) as PrefixesFile;
  return prefixData;
}

/** Whether a "x.y[.z]" version is at least line "a.b". */
function atLeast(line: SparkLine, since: string | null | undefined): boolean {
  if (!since) return true;
  const [major, minor] = since.split('.').map(Number);
  const [lineMajor, lineMinor] = line.split('.').map(Number);
  return lineMajor > major || (lineMajor === major && lineMinor >= minor);
}

/** Whether `key` is a configuration key of Spark `line`: registered, or in a family Spark reads by prefix. */
export function isSparkConfKey(key: string, line: SparkLine): boolean {
  if (sparkConfKeys(line).has(key)) return true;
  const data = prefixes();
  return (
    data.exactKeys.some((entry) => entry.key === key && atLeast(line, entry.since)) ||
    data.prefixes.some((entry) => key.startsWith(entry.prefix) && key.length > entry.prefix.length && atLeast(line, entry.since))
  );
}

/** Whether `key` matches one of the user's custom keys or prefixes (ending in "."). */
export function matchesCustomKey(key: string, customKeys: readonly string[]): boolean {
  return customKeys.some((custom) => (custom.endsWith('.') ? key.startsWith(custom) : key === custom));
}

/**
 * Why `key` is not usable with Spark `line`, with a suggestion, or undefined when it is a real
 * key (or one the user declared custom).
 */
export function sparkConfKeyProblem(key: string, line: SparkLine, customKeys: readonly string[] = []): string | undefined {
  if (isSparkConfKey(key, line) || matchesCustomKey(key, customKeys)) return undefined;
  const otherLines = SUPPORTED_SPARK_LINES.filter((other) => other !== line && isSparkConfKey(key, other));
  if (otherLines.length > 0) {
    return `is not a configuration key of Spark ${line} (it exists in Spark ${otherLines.join(', ')}); change sparkVersion or remove the key`;
  }
  const suggestion = closestKey(key, line);
  return (
    `is not a configuration key of Spark ${line}` +
    (suggestion ? `; did you mean "${suggestion}"?` : '') +
    ' If a plugin reads it, list it (or its prefix ending in ".") in customSparkConfKeys'
  );
}

/** The registered key nearest to `key` by edit distance, if one is near enough to be a likely typo. */
export function closestKey(key: string, line: SparkLine): string | undefined {
  const limit = Math.max(2, Math.floor(key.length / 5));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of sparkConfKeys(line).keys()) {
    if (Math.abs(candidate.length - key.length) >= bestDistance) continue;
    const distance = editDistance(key, candidate, bestDistance);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance, giving up (returning `cap`) once it must reach `cap`. */
function editDistance(a: string, b: string, cap: number): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      rowMin = Math.min(rowMin, current[j]);
    }
    if (rowMin >= cap) return cap;
    previous = current;
  }
  return previous[b.length];
}
