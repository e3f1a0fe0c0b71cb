// Real Spark for the e2e suite: a whole Spark distribution per line, from PyPI, and our own jobs
// (scripts/e2e/jobs) compiled against it.
//
// Why PyPI and not Maven Central: the `pyspark` source distribution of a release holds the release's
// complete distribution (bin/spark-submit, every jar of jars/, kubernetes included), and installed,
// its package folder works as SPARK_HOME. Maven Central as reachable here serves no spark-examples
// jar, and no consistent spark-kubernetes jars for 3.5 (see scripts/spark-conf-keys/generate), and a
// hand-made pom mixes Jackson versions. The releases, with the sha256 of each sdist, are the ones the
// known-keys generator pins (its RELEASES), so the suite runs exactly the Spark our key lists come from.
//
// `ensureSparkHome('4.0.5')` installs once into .cache/spark/pyspark-4.0.5 (pip builds the sdist into a
// wheel once and keeps it in its own cache; a later install is seconds) under a lock, with a stamp;
// `ensureJobsJar(dist)` compiles the jobs once per Spark version and source hash.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT, run, tail, withLock } from './run';

export const SPARK_CACHE = path.join(REPO_ROOT, '.cache', 'spark');
export const KEYS_GENERATOR = path.join(REPO_ROOT, 'scripts', 'spark-conf-keys', 'generate');
export const JOBS_SOURCE_DIR = path.join(REPO_ROOT, 'scripts', 'e2e', 'jobs');

/** A Spark release pinned by the known-keys generator. */
export interface PinnedRelease {
  readonly line: string;
  readonly version: string;
  /** sha256 of pyspark-<version>.tar.gz on PyPI. */
  readonly sha256: string;
}

/** The releases pinned in scripts/spark-conf-keys/generate (its RELEASES block), by version. */
export function pinnedReleases(): Map<string, PinnedRelease> {
  const script = fs.readFileSync(KEYS_GENERATOR, 'utf8');
  const block = /^RELEASES="\n([\s\S]*?)^"/m.exec(script);
  if (!block) throw new Error(`no RELEASES="..." block in ${KEYS_GENERATOR}`);
  const releases = new Map<string, PinnedRelease>();
  for (const row of block[1].split('\n')) {
    const [line, version, sha256] = row.trim().split(/\s+/);
    if (line && version && /^[0-9a-f]{64}$/.test(sha256 ?? '')) releases.set(version, { line, version, sha256 });
  }
  return releases;
}

/** An installed Spark distribution. */
export interface SparkDistribution {
  readonly version: string;
  /** The folder that works as SPARK_HOME (bin/, jars/, conf/, work-dir/). */
  readonly sparkHome: string;
  readonly jarsDir: string;
  /** "2.12" or "2.13", read from the spark-core jar's name. */
  readonly scalaBinaryVersion: string;
}

export interface InstallOptions {
  /** Where distributions are installed. @default .cache/spark */
  readonly cacheDir?: string;
  /** The Python that runs pip. @default $SPARKPLANE_E2E_PYTHON or python3 */
  readonly python?: string;
  /** Environment of pip (e.g. PIP_INDEX_URL). @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default 25 minutes (a cold download is about 450 MB) */
  readonly timeoutMs?: number;
}

const STAMP = '.sparkplane-e2e-complete';

/** The distribution of `version`, installing it with pip first if it is not in the cache yet. */
export async function ensureSparkHome(version: string, options: InstallOptions = {}): Promise<SparkDistribution> {
  const release = pinnedReleases().get(version);
  if (!release) {
    throw new Error(
      `Spark ${version} is not pinned in ${path.relative(REPO_ROOT, KEYS_GENERATOR)} (RELEASES has ${[...pinnedReleases().keys()].join(', ')}); ` +
        'the e2e suite installs only those releases, whose sdist hashes are known',
    );
  }
  const cacheDir = options.cacheDir ?? SPARK_CACHE;
  const target = path.join(cacheDir, `pyspark-${version}`);
  const expectedStamp = JSON.stringify({ version, sha256: release.sha256 });
  const installed = () => (readIfExists(path.join(target, STAMP)) === expectedStamp ? describeDistribution(version, path.join(target, 'pyspark')) : undefined);

  const ready = installed();
  if (ready) return ready;
  return withLock(`${target}.lock`, `installing pyspark ${version}`, async () => {
    const again = installed(); // another process may have finished it while we waited
    if (again) return again;
    await pipInstall(release, target, options);
    return describeDistribution(version, path.join(target, 'pyspark'));
  });
}

async function pipInstall(release: PinnedRelease, target: string, options: InstallOptions): Promise<void> {
  const python = options.python ?? process.env.SPARKPLANE_E2E_PYTHON ?? 'python3';
  const env = options.env ?? process.env;
  const pipVersion = await run(python, ['-m', 'pip', '--version'], { env, timeoutMs: 60_000 });
  if (pipVersion.error) {
    throw new Error(
      `cannot install Spark ${release.version}: ${python} was not found (${pipVersion.error.code}). The e2e suite installs Spark ` +
        'from PyPI with pip: install python3 with pip, or set SPARKPLANE_E2E_PYTHON to a Python that has it',
    );
  }
  if (pipVersion.code !== 0) {
    throw new Error(`cannot install Spark ${release.version}: ${python} has no working pip (\`${python} -m pip --version\` exited ${pipVersion.code}):\n${tail(pipVersion.stderr || pipVersion.stdout, 10)}`);
  }

  const partial = `${target}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(partial, { recursive: true });
  const requirements = path.join(partial, '..', `pyspark-${release.version}.requirements.txt`);
  fs.writeFileSync(requirements, `pyspark==${release.version} --hash=sha256:${release.sha256}\n`);
  const started = Date.now();
  process.stderr.write(`[e2e] installing pyspark ${release.version} from PyPI into ${path.relative(REPO_ROOT, target)} (once; a cold download is about 450 MB)\n`);
  const pip = await run(
    python,
    ['-m', 'pip', 'install', '--no-deps', '--require-hashes', '--disable-pip-version-check', '--no-input', '--progress-bar', 'off', '--target', partial, '-r', requirements],
    { env, timeoutMs: options.timeoutMs ?? 25 * 60_000 },
  );
  fs.rmSync(requirements, { force: true });
  if (pip.code !== 0) {
    fs.rmSync(partial, { recursive: true, force: true });
    const output = `${pip.stdout}\n${pip.stderr}`;
    const network = /Could not fetch|Connection|Max retries|NewConnectionError|Temporary failure in name resolution|No matching distribution|timed out/i.test(output);
    throw new Error(
      `pip could not install pyspark==${release.version} (${pip.timedOut ? 'timed out' : `exit status ${pip.code ?? pip.signal}`})` +
        (network ? ': the package registry (PyPI) was not reachable or did not serve it' : '') +
        `. Last lines of pip's output:\n${tail(output, 15)}`,
    );
  }
  const sparkHome = path.join(partial, 'pyspark');
  describeDistribution(release.version, sparkHome); // throws when the install is not a Spark distribution
  // The image's layout: its Dockerfile creates these, and pods mount volumes on them.
  for (const dir of ['conf', 'work-dir']) fs.mkdirSync(path.join(sparkHome, dir), { recursive: true });
  fs.rmSync(target, { recursive: true, force: true });
  fs.renameSync(partial, target);
  fs.writeFileSync(path.join(target, STAMP), JSON.stringify({ version: release.version, sha256: release.sha256 }));
  process.stderr.write(`[e2e] pyspark ${release.version} installed in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

function describeDistribution(version: string, sparkHome: string): SparkDistribution {
  const jarsDir = path.join(sparkHome, 'jars');
  const problems: string[] = [];
  const submit = path.join(sparkHome, 'bin', 'spark-submit');
  if (!fs.existsSync(submit)) problems.push(`no ${submit}`);
  const jars = fs.existsSync(jarsDir) ? fs.readdirSync(jarsDir) : [];
  const core = jars.map((j) => /^spark-core_(2\.1[23])-(.+)\.jar$/.exec(j)).find((m) => m);
  if (!core) problems.push(`no spark-core jar in ${jarsDir}`);
  else if (core[2] !== version) problems.push(`spark-core is ${core[2]}, not ${version}`);
  if (!jars.some((j) => j.startsWith('spark-kubernetes_'))) problems.push(`no spark-kubernetes jar in ${jarsDir}`);
  if (problems.length) throw new Error(`${sparkHome} is not a Spark ${version} distribution: ${problems.join('; ')}`);
  return { version, sparkHome, jarsDir, scalaBinaryVersion: core![1] };
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The JDK the suite runs Spark with: $JAVA_HOME, else the `java` on PATH; at least 17 (Spark 4). */
export async function javaHome(): Promise<string> {
  const fromEnv = process.env.JAVA_HOME;
  const java = fromEnv && fs.existsSync(path.join(fromEnv, 'bin', 'java')) ? path.join(fromEnv, 'bin', 'java') : 'java';
  const result = await run(java, ['-XshowSettings:properties', '-version'], { timeoutMs: 60_000 });
  if (result.error) throw new Error(`java not found (${result.error.code}): install a JDK >= 17 (e.g. apt-get install openjdk-17-jdk-headless) or set JAVA_HOME`);
  const home = /^\s*java\.home = (.+)$/m.exec(result.stderr)?.[1]?.trim();
  const major = Number(/^\s*java\.specification\.version = (\d+)/m.exec(result.stderr)?.[1]);
  if (!home || !(major >= 17)) throw new Error(`${java} is not a JDK >= 17 (java.home ${home}, specification version ${major}); Spark 4 needs 17 or newer`);
  return home;
}

export interface JobsJarOptions {
  /** Folder of the Java sources (package folders under it). @default scripts/e2e/jobs */
  readonly sourceDir?: string;
  /** Folder of the built jars. @default .cache/spark/e2e-jobs */
  readonly outDir?: string;
  /** The JDK. @default javaHome() */
  readonly javaHome?: string;
}

/** The main classes of scripts/e2e/jobs. */
export const JOBS = { sparkPi: 'sparkplane.e2e.SparkPi', backlog: 'sparkplane.e2e.Backlog', shuffleOutlives: 'sparkplane.e2e.ShuffleOutlives' } as const;

/**
 * The e2e jobs compiled with javac against the distribution's jars, as one jar, cached per Spark
 * version and hash of the sources. Fails with javac's diagnostics when the sources do not compile.
 */
export async function ensureJobsJar(dist: SparkDistribution, options: JobsJarOptions = {}): Promise<string> {
  const sourceDir = options.sourceDir ?? JOBS_SOURCE_DIR;
  const sources = listFiles(sourceDir).filter((f) => f.endsWith('.java')).sort();
  if (sources.length === 0) throw new Error(`no .java files under ${sourceDir}`);
  const hash = createHash('sha256');
  for (const source of sources) hash.update(path.relative(sourceDir, source)).update('\0').update(fs.readFileSync(source)).update('\0');
  const outDir = options.outDir ?? path.join(SPARK_CACHE, 'e2e-jobs');
  const jar = path.join(outDir, `sparkplane-e2e-jobs-spark-${dist.version}-${hash.digest('hex').slice(0, 12)}.jar`);
  if (fs.existsSync(jar)) return jar;

  const jdk = options.javaHome ?? (await javaHome());
  const javac = path.join(jdk, 'bin', 'javac');
  const jarTool = path.join(jdk, 'bin', 'jar');
  for (const tool of [javac, jarTool]) {
    if (!fs.existsSync(tool)) throw new Error(`${tool} not found: the JDK at ${jdk} has no compiler (a JRE?); install a JDK >= 17 (e.g. apt-get install openjdk-17-jdk-headless) or set JAVA_HOME`);
  }
  fs.mkdirSync(outDir, { recursive: true });
  return withLock(`${jar}.lock`, `compiling the e2e jobs for Spark ${dist.version}`, async () => {
    if (fs.existsSync(jar)) return jar;
    const work = fs.mkdtempSync(path.join(outDir, '.build-'));
    try {
      const classes = path.join(work, 'classes');
      fs.mkdirSync(classes);
      const compiled = await run(javac, ['--release', '17', '-Xlint:-options', '-cp', `${dist.jarsDir}/*`, '-d', classes, ...sources], { timeoutMs: 5 * 60_000 });
      if (compiled.code !== 0) {
        throw new Error(
          `javac could not compile the e2e jobs (${path.relative(REPO_ROOT, sourceDir) || sourceDir}) against Spark ${dist.version}'s jars ` +
            `(${compiled.error ? compiled.error.message : `exit status ${compiled.code ?? compiled.signal}`}):\n${tail(compiled.stderr || compiled.stdout, 30)}`,
        );
      }
      const packed = await run(jarTool, ['--create', '--file', path.join(work, 'jobs.jar'), '-C', classes, '.'], { timeoutMs: 60_000 });
      if (packed.code !== 0) throw new Error(`jar could not pack the e2e jobs: ${tail(packed.stderr || packed.stdout, 10)}`);
      fs.renameSync(path.join(work, 'jobs.jar'), jar);
      return jar;
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
}

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}
