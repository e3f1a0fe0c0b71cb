// The Spark lines sparkplane supports, and what a version implies: its Scala version, its default
// image, and (in conf-keys.ts) the configuration keys that exist in it.

/** The Spark release lines sparkplane supports; each has a generated list of configuration keys. */
export const SUPPORTED_SPARK_LINES = ['3.5', '4.0', '4.1', '4.2', '4.3'] as const;

/** A supported Spark release line, e.g. "4.0". */
export type SparkLine = (typeof SUPPORTED_SPARK_LINES)[number];

/** A parsed Spark version. */
export interface SparkVersion {
  /** The version as given, e.g. "4.0.2". */
  readonly version: string;
  /** Its release line, e.g. "4.0". */
  readonly line: SparkLine;
  /** Major version number. */
  readonly major: number;
  /** Scala binary version of the official images and jars. */
  readonly scalaVersion: '2.12' | '2.13';
}

const versionPattern = /^(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?$/;

/** Why `version` is not a supported Spark version, or undefined if it is. */
export function sparkVersionProblem(version: unknown): string | undefined {
  if (typeof version !== 'string' || !versionPattern.test(version)) {
    return `must be a full Spark version like "4.0.2" (supported lines: ${SUPPORTED_SPARK_LINES.join(', ')})`;
  }
  const [, major, minor] = versionPattern.exec(version)!;
  if (!(SUPPORTED_SPARK_LINES as readonly string[]).includes(`${major}.${minor}`)) {
    return `Spark ${major}.${minor} is not supported; use a version of the ${SUPPORTED_SPARK_LINES.join(', ')} lines`;
  }
  return undefined;
}

/** Parses a supported Spark version; throws on anything `sparkVersionProblem` rejects. */
export function parseSparkVersion(version: string): SparkVersion {
  const problem = sparkVersionProblem(version);
  if (problem) throw new Error(`sparkVersion ${JSON.stringify(version)}: ${problem}`);
  const [, major, minor] = versionPattern.exec(version)!;
  return { version, line: `${major}.${minor}` as SparkLine, major: Number(major), scalaVersion: Number(major) >= 4 ? '2.13' : '2.12' };
}

/**
 * The official Apache Spark image for a version (`apache/spark:<version>`, which carries Python;
 * `-r` for R), pinned to the exact release rather than a moving tag.
 */
export function defaultSparkImage(version: SparkVersion, language: 'jvm' | 'python' | 'r'): string {
  return `apache/spark:${version.version}${language === 'r' ? '-r' : ''}`;
}
