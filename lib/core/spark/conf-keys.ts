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
  /** Keys Spark still recognises only to warn that they no longer have any effect. */
  readonly deprecated: Record<string, { readonly since: string | null }>;
  /** Keys Spark removed and rejects unless set to their only allowed value. */
  readonly removed: Record<string, { readonly removedIn: string; readonly onlyAllowedValue: string }>;
}

/** Keys Spark reads without registering a ConfigEntry: families by prefix, and single keys, with the lines that read them. */
interface PrefixesFile {
  readonly prefixes: ReadonlyArray<{ readonly prefix: string; readonly lines: readonly string[] }>;
  readonly exactKeys: ReadonlyArray<{ readonly key: string; readonly lines: readonly string[] }>;
}

const dataDir = path.join(__dirname, 'conf-keys');
const filesByLine = new Map<SparkLine, ConfKeysFile>();
const keysByLine = new Map<SparkLine, ReadonlyMap<string, SparkConfKeyInfo>>();
let prefixData: PrefixesFile | undefined;

/** The configuration keys Spark registers in `line` (loaded once, on first use). */
export function sparkConfKeys(line: SparkLine): ReadonlyMap<string, SparkConfKeyInfo> {
  let keys = keysByLine.get(line);
  if (!keys) {
    keys = new Map(Object.entries(confKeysFile(line).keys));
    keysByLine.set(line, keys);
  }
  return keys;
}

function confKeysFile(line: SparkLine): ConfKeysFile {
  let file = filesByLine.get(line);
  if (!file) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    file = require(path.join(dataDir, `spark-${line}.json`)) as ConfKeysFile;
    filesByLine.set(line, file);
  }
  return file;
}

function prefixes(): PrefixesFile {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  prefixData ??= require(path.join(dataDir, 'prefixes.json')) as PrefixesFile;
  return prefixData;
}

/** Whether `key` is a configuration key of Spark `line`: registered, or in a family Spark reads by prefix. */
export function isSparkConfKey(key: string, line: SparkLine): boolean {
  if (sparkConfKeys(line).has(key)) return true;
  const data = prefixes();
  return (
    data.exactKeys.some((entry) => entry.key === key && entry.lines.includes(line)) ||
    data.prefixes.some((entry) => key.startsWith(entry.prefix) && key.length > entry.prefix.length && entry.lines.includes(line))
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
  const { deprecated, removed } = confKeysFile(line);
  if (removed[key]) {
    return `was removed in Spark ${removed[key].removedIn}; Spark ${line} only accepts "${removed[key].onlyAllowedValue}" for it, which is its behaviour anyway: remove the key`;
  }
  if (deprecated[key]) return `is deprecated${deprecated[key].since ? ` since Spark ${deprecated[key].since}` : ''} and has no effect in Spark ${line}; remove it`;
  const otherLines = SUPPORTED_SPARK_LINES.filter((other) => other !== line && isSparkConfKey(key, other));
  if (otherLines.length > 0) {
    return `is not a configuration key of Spark ${line} (it exists in Spark ${otherLines.join(', ')}); change sparkVersion or remove the key`;
  }
  const suggestion = closestKey(key, line);
  return (
    `is not a configuration key of Spark ${line}` +
    (suggestion ? `; did you mean "${suggestion}"?` : '.') +
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

/**
 * Every key sparkplane itself emits must exist in the targeted Spark line (the user's keys were
 * validated already). A miss is a sparkplane bug, caught here rather than ignored by Spark.
 */
export function assertEmittedKeysExist(properties: Record<string, string>, line: SparkLine, userConf: Record<string, string>): void {
  const unknown = Object.keys(properties).filter((key) => !(key in userConf) && !isSparkConfKey(key, line));
  if (unknown.length) throw new Error(`sparkplane emitted keys that Spark ${line} does not define: ${unknown.join(', ')}`);
}
