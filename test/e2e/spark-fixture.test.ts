// The real Spark the e2e suite runs: the pinned pyspark distributions from PyPI as SPARK_HOMEs,
// our own jobs compiled against them, clear causes when pip or javac fail, and the known-keys check
// (the configuration keys the library accepts, regenerated from these releases' own jars).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT, run, tail } from './support/run';
import { ensureJobsJar, ensureSparkHome, javaHome, JOBS, KEYS_GENERATOR, pinnedReleases } from './support/spark-home';

const VERSIONS = ['4.0.5', '3.5.9'];
let scratch: string;

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkplane-e2e-fixture-'));
});

afterAll(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe.each(VERSIONS)('Spark %s from PyPI', (version) => {
  it('is installed once (pip, hash-pinned) and works as SPARK_HOME: spark-submit --version', async () => {
    const dist = await ensureSparkHome(version, {});
    const started = Date.now();
    expect(await ensureSparkHome(version)).toEqual(dist); // the stamp: no second install
    expect(Date.now() - started).toBeLessThan(2000);
    expect(dist.scalaBinaryVersion).toBe(version.startsWith('3.') ? '2.12' : '2.13');
    for (const dir of ['conf', 'work-dir']) expect(fs.statSync(path.join(dist.sparkHome, dir)).isDirectory()).toBe(true);

    const env = { PATH: process.env.PATH, SPARK_HOME: dist.sparkHome, JAVA_HOME: await javaHome(), HOME: scratch };
    const submit = await run(path.join(dist.sparkHome, 'bin', 'spark-submit'), ['--version'], { env, timeoutMs: 120_000 });
    expect({ code: submit.code, output: `${submit.stdout}${submit.stderr}` }).toEqual({ code: 0, output: expect.stringMatching(new RegExp(`version ${version.replace(/\./g, '\\.')}`)) });
  }, 30 * 60_000);

  it('compiles our jobs (SparkPi, Backlog) against its jars with javac, once', async () => {
    const dist = await ensureSparkHome(version);
    const jar = await ensureJobsJar(dist);
    expect(await ensureJobsJar(dist)).toBe(jar);
    const listing = await run(path.join(await javaHome(), 'bin', 'jar'), ['tf', jar]);
    for (const main of Object.values(JOBS)) expect(listing.stdout).toContain(`${main.replace(/\./g, '/')}.class`);
  }, 10 * 60_000);
});

describe('clear causes when the fixtures cannot be made', () => {
  it('a version the key generator does not pin is refused, naming the pinned ones', async () => {
    await expect(ensureSparkHome('9.9.9', { cacheDir: scratch })).rejects.toThrow(/Spark 9\.9\.9 is not pinned in scripts\/spark-conf-keys\/generate \(RELEASES has 3\.5\.9, 4\.0\.5/);
  });

  it('no Python: says so, and how to point the suite at one', async () => {
    await expect(ensureSparkHome('4.0.5', { cacheDir: scratch, python: path.join(scratch, 'no-such-python3') })).rejects.toThrow(
      /cannot install Spark 4\.0\.5: .*no-such-python3 was not found \(ENOENT\).*SPARKPLANE_E2E_PYTHON/,
    );
  });

  it('the package registry unreachable: names pip, the registry, and shows pip\'s own words', async () => {
    const env = { ...process.env, PIP_INDEX_URL: 'http://127.0.0.1:9/simple', PIP_RETRIES: '0', PIP_DEFAULT_TIMEOUT: '5', PIP_FIND_LINKS: '' };
    const failure = ensureSparkHome('4.0.5', { cacheDir: scratch, env });
    await expect(failure).rejects.toThrow(/pip could not install pyspark==4\.0\.5 \(exit status 1\): the package registry \(PyPI\) was not reachable or did not serve it/);
    await expect(failure).rejects.toThrow(/127\.0\.0\.1:9|No matching distribution/);
    expect(fs.existsSync(path.join(scratch, 'pyspark-4.0.5'))).toBe(false); // nothing half-installed is taken for an install
  }, 120_000);

  it('javac failing: the jobs folder, the Spark version and javac\'s diagnostics', async () => {
    const sources = path.join(scratch, 'broken-jobs', 'sparkplane', 'e2e');
    fs.mkdirSync(sources, { recursive: true });
    fs.writeFileSync(path.join(sources, 'Broken.java'), 'package sparkplane.e2e;\npublic final class Broken { int x = undefinedName; }\n');
    const dist = await ensureSparkHome('4.0.5');
    await expect(ensureJobsJar(dist, { sourceDir: path.join(scratch, 'broken-jobs'), outDir: path.join(scratch, 'jobs-out') })).rejects.toThrow(
      /javac could not compile the e2e jobs \(.*broken-jobs\) against Spark 4\.0\.5's jars \(exit status 1\):\n.*Broken\.java:2: error: cannot find symbol/,
    );
    expect(fs.readdirSync(path.join(scratch, 'jobs-out')).filter((f) => f.endsWith('.jar'))).toEqual([]);
  }, 120_000);
});

describe('the known configuration keys', () => {
  it('are the ones the pinned releases\' jars register: scripts/spark-conf-keys/generate --check', async () => {
    expect([...pinnedReleases().keys()]).toEqual(expect.arrayContaining(VERSIONS));
    const check = await run(KEYS_GENERATOR, ['--check'], { cwd: REPO_ROOT, timeoutMs: 20 * 60_000 });
    const output = `${check.stdout}\n${check.stderr}`;
    if (check.code !== 0) throw new Error(`scripts/spark-conf-keys/generate --check exited ${check.code ?? check.signal}:\n${tail(output, 60)}`);
    expect(check.stdout).toContain('spark conf keys: all checked files are up to date');
    for (const release of pinnedReleases().values()) expect(check.stdout).toContain(`ok   lib/core/spark/conf-keys/spark-${release.line}.json`);
  }, 25 * 60_000);
});
