// Quantities in the two dialects a Spark-on-Kubernetes spec mixes: Kubernetes resource quantities
// ("500m" CPU, "2Gi" memory) and Spark's size strings ("512m", "4g", which mean MiB and GiB).

const kubeQuantity = /^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][-+]?[0-9]+)?$/;
const kubeSuffixes: Record<string, number> = {
  '': 1, 'n': 1e-9, 'u': 1e-6, 'm': 1e-3, 'k': 1e3, 'M': 1e6, 'G': 1e9, 'T': 1e12, 'P': 1e15, 'E': 1e18,
  'Ki': 2 ** 10, 'Mi': 2 ** 20, 'Gi': 2 ** 30, 'Ti': 2 ** 40, 'Pi': 2 ** 50, 'Ei': 2 ** 60,
};

/** The value of a non-negative Kubernetes quantity ("500m" is 0.5, "1Gi" is 1073741824), or undefined if malformed. */
export function parseKubeQuantity(quantity: unknown): number | undefined {
  if (typeof quantity !== 'string') return undefined;
  const match = kubeQuantity.exec(quantity);
  if (!match) return undefined;
  const [, digits, suffix = ''] = match;
  const multiplier = suffix.startsWith('e') || suffix.startsWith('E') ? 10 ** Number(suffix.slice(1)) : kubeSuffixes[suffix];
  const value = Number(digits) * multiplier;
  return Number.isFinite(value) ? value : undefined;
}

const sparkSize = /^([0-9]+)(b|k|kb|m|mb|g|gb|t|tb|p|pb)?$/i;
const sparkSizeMultipliers: Record<string, number> = {
  b: 1 / 2 ** 20, k: 1 / 1024, kb: 1 / 1024, m: 1, mb: 1, g: 1024, gb: 1024, t: 1024 ** 2, tb: 1024 ** 2, p: 1024 ** 3, pb: 1024 ** 3,
};

/**
 * MiB in a Spark size string as `spark.driver.memory` reads it (JavaUtils.byteStringAsMb: a whole
 * number with an optional b/k/m/g/t/p suffix, MiB when none), or undefined if malformed.
 */
export function parseSparkSizeMiB(size: unknown): number | undefined {
  if (typeof size !== 'string') return undefined;
  const match = sparkSize.exec(size.trim());
  if (!match) return undefined;
  const mib = Number(match[1]) * sparkSizeMultipliers[(match[2] ?? 'm').toLowerCase()];
  return Number.isSafeInteger(Math.floor(mib)) ? Math.floor(mib) : undefined;
}

const sparkDuration = /^([0-9]+)(us|ms|s|m|min|h|d)?$/i;
const sparkDurationUnitsMs: Record<string, number> = { us: 1e-3, ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds in a Spark time string ("60s", "5min", "500ms"; seconds when no unit), or undefined if malformed. */
export function sparkDurationMs(duration: unknown): number | undefined {
  if (typeof duration !== 'string') return undefined;
  const match = sparkDuration.exec(duration.trim());
  return match ? Number(match[1]) * sparkDurationUnitsMs[(match[2] ?? 's').toLowerCase()] : undefined;
}

/** Whether `duration` is a Spark time string ("60s", "5min", "500ms"; seconds when no unit). */
export function isSparkDuration(duration: unknown): boolean {
  return sparkDurationMs(duration) !== undefined;
}
