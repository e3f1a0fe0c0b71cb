// `npm run bench:staging`: the staging server (the bundled image program's `staging-server`, as a
// process, tokens from files) under 20 concurrent clients that upload 100 files of mixed sizes up to
// 200 MB (HEAD, then a streamed PUT, as `sparkplane stage` does) and download them all again, each
// download hashed while it streams and compared with its source. The same clients then do the same
// against a plain static file server (bench/support/static-file-server.ts) on the same disk, and the
// throughputs are reported as ratios measured side by side in one run: rounds alternate which server
// goes first. The staging server fsyncs every blob before answering and the plain one never does, so
// a `sync` follows each upload phase, outside its timing, and "upload + sync" compares durable with
// durable. Also prints the servers' resident memory (sampled every 100 ms, and VmHWM) and CPU.
// Exits 1 on any failed request or byte that differs. On loopback; no cluster.
//
// Settings: BENCH_STAGING_FILES (100), BENCH_STAGING_MAX_MB (200; sizes are log-uniform from 1 KB,
// with 3 % of the files at the maximum), BENCH_STAGING_CLIENTS (20), BENCH_STAGING_ROUNDS (2),
// BENCH_STAGING_SEED (1); UV_THREADPOOL_SIZE is passed on to both servers when set. Sources are cached
// in .cache/bench/staging/sources; figures are written to .cache/bench/staging.json.
import { spawnSync } from 'child_process';
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { build } from 'esbuild';
import { blobPath, STAGING_TOKEN_HEADER } from '../lib/core/staging/protocol';
import { imageBundleOptions } from '../scripts/image/bundle';
import { bundleImageProgram, ImageProgramProcess, REPO_ROOT } from '../test/support/image-program';
import { prepareSources, type SourceFile } from './support/staging-sources';

const FILES = Number(process.env.BENCH_STAGING_FILES ?? 100);
const MAX_BYTES = Math.round(Number(process.env.BENCH_STAGING_MAX_MB ?? 200) * 1e6);
const MIN_BYTES = Math.min(1000, MAX_BYTES);
const CLIENTS = Number(process.env.BENCH_STAGING_CLIENTS ?? 20);
const ROUNDS = Number(process.env.BENCH_STAGING_ROUNDS ?? 2);
const SEED = Number(process.env.BENCH_STAGING_SEED ?? 1);
const FILES_AT_MAX = Math.max(1, Math.round(FILES * 0.03));
/** Chunks the clients read their files in: the CLI's (lib/cli/local-files.ts). */
const UPLOAD_CHUNK_BYTES = 2 ** 20;
const SAMPLE_INTERVAL_MS = 100;
/** The servers' environment beyond their settings: PATH, and UV_THREADPOOL_SIZE when the bench is given one (the image sets none: 4 threads). */
const SERVER_ENV: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...(process.env.UV_THREADPOOL_SIZE ? { UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE } : {}) };
const WARM_UP_FILES = 2 * CLIENTS;
const WARM_UP_BYTES = 256 * 1024;

const BENCH_DIR = path.join(REPO_ROOT, '.cache', 'bench');
const CACHE_DIR = path.join(BENCH_DIR, 'staging');
const UPLOAD_TOKEN = 'bench-upload-token-0123456789abcdef';
const READ_TOKEN = 'bench-read-token-0123456789abcdef';

type ServerKind = 'staging' | 'static';
type Operation = 'upload' | 'download';
const SERVER_NAMES: Record<ServerKind, string> = { staging: 'staging server', static: 'static file server' };

/** One server process of one round, and what was measured of it. */
class BenchServer {
  readonly agent: http.Agent;
  readonly pid: number;
  idleRssMiB = 0;
  /** Highest sampled VmRSS, over the whole process and in the phase being measured. */
  peakRssMiB = 0;
  phasePeakRssMiB = 0;
  highWaterRssMiB = 0;
  /** Disk used by the store after the warm-up, before the measured uploads. */
  warmUpDiskBytes = 0;

  constructor(readonly kind: ServerKind, readonly program: ImageProgramProcess, readonly port: number, readonly directory: string) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
    this.pid = program.child.pid!;
  }

  /** The headers every request carries: the token for the staging server, nothing for the plain one. */
  headers(token: string): http.OutgoingHttpHeaders {
    return this.kind === 'staging' ? { [STAGING_TOKEN_HEADER]: token } : {};
  }

  sample(): void {
    const rss = procStatusMiB(this.pid, 'VmRSS');
    if (rss === undefined) return;
    this.peakRssMiB = Math.max(this.peakRssMiB, rss);
    this.phasePeakRssMiB = Math.max(this.phasePeakRssMiB, rss);
  }

  async stop(): Promise<number | null> {
    this.highWaterRssMiB = procStatusMiB(this.pid, 'VmHWM') ?? 0;
    this.agent.destroy();
    return this.program.kill('SIGTERM');
  }
}

/** What one phase (one server, one operation, all files) measured. */
interface PhaseResult {
  readonly server: ServerKind;
  readonly operation: Operation;
  readonly round: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly errors: string[];
  readonly mismatches: string[];
  readonly serverCpuSeconds: number;
  /** The part of it spent in the kernel (writes, fsync, sockets). */
  readonly serverSystemCpuSeconds: number;
  readonly clientCpuSeconds: number;
  readonly serverPeakRssMiB: number;
  /** `sync` right after the phase: the writes the server left to the kernel (0 for the downloads). */
  readonly syncSeconds: number;
}

/** An answer: its status and, for a GET, the SHA-256 and length of its body. */
interface Answer {
  readonly status: number;
  readonly bytes: number;
  readonly sha256?: string;
  readonly text: string;
}

/** One request; a PUT streams the file from disk with its Content-Length; a GET's body is hashed as it arrives. */
function send(server: BenchServer, method: 'HEAD' | 'PUT' | 'GET', file: SourceFile, token: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = { ...server.headers(token), ...(method === 'PUT' ? { 'Content-Type': 'application/octet-stream', 'Content-Length': file.size } : {}) };
    const request = http.request({ host: '127.0.0.1', port: server.port, method, path: blobPath(file.sha256), headers, agent: server.agent });
    request.on('error', reject);
    request.on('response', (response) => {
      const hash = method === 'GET' && response.statusCode === 200 ? createHash('sha256') : undefined;
      const text: Buffer[] = [];
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (hash) hash.update(chunk);
        else if (bytes < 4096) text.push(chunk);
      });
      response.on('error', reject);
      response.on('end', () => resolve({ status: response.statusCode ?? 0, bytes, sha256: hash?.digest('hex'), text: Buffer.concat(text).toString('utf8') }));
    });
    if (method !== 'PUT' || file.size === 0) return void request.end();
    const body = fs.createReadStream(file.path, { highWaterMark: UPLOAD_CHUNK_BYTES });
    body.on('error', (error) => request.destroy(error));
    body.pipe(request);
  });
}

/** `CLIENTS` clients take the files from one queue until it is empty; resolves to the errors and mismatches. */
async function runClients(server: BenchServer, operation: Operation, files: readonly SourceFile[]): Promise<{ errors: string[]; mismatches: string[] }> {
  const errors: string[] = [];
  const mismatches: string[] = [];
  let next = 0;
  const client = async () => {
    for (let i = next++; i < files.length; i = next++) {
      const file = files[i];
      try {
        if (operation === 'upload') {
          // The store is new each round: every file is missing.
          const check = await send(server, 'HEAD', file, UPLOAD_TOKEN);
          if (check.status !== 404) {
            errors.push(`${file.name}: HEAD answered ${check.status}, not 404`);
            continue;
          }
          const put = await send(server, 'PUT', file, UPLOAD_TOKEN);
          if (put.status !== 201) errors.push(`${file.name}: PUT answered ${put.status}, not 201: ${put.text}`);
        } else {
          const get = await send(server, 'GET', file, READ_TOKEN);
          if (get.status !== 200) errors.push(`${file.name}: GET answered ${get.status}: ${get.text}`);
          else if (get.bytes !== file.size || get.sha256 !== file.sha256) mismatches.push(`${file.name}: got ${get.bytes} bytes with SHA-256 ${get.sha256}, expected ${file.size} with ${file.sha256}`);
        }
      } catch (error) {
        errors.push(`${file.name}: ${operation} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, () => client()));
  return { errors, mismatches };
}

async function measurePhase(server: BenchServer, operation: Operation, files: readonly SourceFile[], round: number): Promise<PhaseResult> {
  const serverCpu = cpuTimes(server.pid);
  const clientCpu = process.cpuUsage();
  server.phasePeakRssMiB = 0;
  const started = process.hrtime.bigint();
  const { errors, mismatches } = await runClients(server, operation, files);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const clientUsage = process.cpuUsage(clientCpu);
  const serverCpuAfter = cpuTimes(server.pid);
  server.sample();
  // Outside the timing: the plain server leaves its writes in the page cache, and flushing them must
  // not slow the next phase (the staging server's fsyncs are inside its own).
  const syncStarted = process.hrtime.bigint();
  if (operation === 'upload') spawnSync('sync');
  const syncSeconds = Number(process.hrtime.bigint() - syncStarted) / 1e9;
  return {
    server: server.kind, operation, round, bytes: files.reduce((sum, f) => sum + f.size, 0), seconds, errors, mismatches,
    serverCpuSeconds: serverCpuAfter.user + serverCpuAfter.system - serverCpu.user - serverCpu.system, serverSystemCpuSeconds: serverCpuAfter.system - serverCpu.system, clientCpuSeconds: (clientUsage.user + clientUsage.system) / 1e6, serverPeakRssMiB: server.phasePeakRssMiB, syncSeconds,
  };
}

async function startServers(runDir: string, round: number, bundles: { image: string; staticServer: string }, warmUpFiles: readonly SourceFile[]): Promise<Record<ServerKind, BenchServer>> {
  const storageDir = path.join(runDir, `staging-store-${round}`);
  const staging = new ImageProgramProcess(bundles.image, ['staging-server'], {
    ...SERVER_ENV,
    SPARKPLANE_STAGING_DIR: storageDir,
    SPARKPLANE_STAGING_PORT: '0',
    SPARKPLANE_STAGING_METRICS_PORT: '0',
    SPARKPLANE_STAGING_HOST: '127.0.0.1',
    SPARKPLANE_STAGING_UPLOAD_TOKEN_FILE: path.join(runDir, 'upload-token'),
    SPARKPLANE_STAGING_READ_TOKEN_FILE: path.join(runDir, 'read-token'),
    SPARKPLANE_STAGING_MAX_UPLOAD: `${Math.max(256, Math.ceil(MAX_BYTES / 2 ** 20) + 1)}Mi`,
    SPARKPLANE_STAGING_MIN_FREE: '0',
  });
  const staticDir = path.join(runDir, `static-files-${round}`);
  const plain = new ImageProgramProcess(bundles.staticServer, [staticDir], SERVER_ENV);
  const stagingPort = Number((await staging.waitForLog('staging server started')).port);
  const staticPort = Number((await plain.waitForLog('static file server started')).port);
  const servers = { staging: new BenchServer('staging', staging, stagingPort, storageDir), static: new BenchServer('static', plain, staticPort, staticDir) };
  // Resident memory once started and settled, before any request.
  await new Promise((r) => setTimeout(r, 500));
  for (const server of Object.values(servers)) server.idleRssMiB = procStatusMiB(server.pid, 'VmRSS') ?? 0;
  // A few small transfers, untimed, so neither server (nor the clients) is measured while V8 compiles its paths.
  for (const server of Object.values(servers)) {
    for (const operation of ['upload', 'download'] as const) {
      const { errors, mismatches } = await runClients(server, operation, warmUpFiles);
      if (errors.length || mismatches.length) throw new Error(`the warm-up against the ${SERVER_NAMES[server.kind]} failed: ${[...errors, ...mismatches].join('; ')}`);
    }
    server.warmUpDiskBytes = diskUsage(server.directory);
  }
  return servers;
}

async function main(): Promise<void> {
  const benchStarted = Date.now();
  if (!(FILES >= 1 && MAX_BYTES >= 1 && CLIENTS >= 1 && ROUNDS >= 1)) throw new Error('BENCH_STAGING_FILES, BENCH_STAGING_MAX_MB, BENCH_STAGING_CLIENTS and BENCH_STAGING_ROUNDS must be positive numbers');
  const sourcesDir = path.join(CACHE_DIR, 'sources');
  const { files, report: sourceReport } = await prepareSources(sourcesDir, { files: FILES, minBytes: MIN_BYTES, maxBytes: MAX_BYTES, filesAtMax: FILES_AT_MAX, seed: SEED });
  const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
  const largest = files.reduce((max, f) => Math.max(max, f.size), 0);
  const median = [...files.map((f) => f.size)].sort((a, b) => a - b)[Math.floor(files.length / 2)];
  console.log(`staging bench: ${FILES} files, ${mb(totalBytes)} MB (${MIN_BYTES} B to ${mb(largest)} MB, median ${mb(median)} MB, ${FILES_AT_MAX} at the maximum), ${CLIENTS} clients, ${ROUNDS} round(s)${SERVER_ENV.UV_THREADPOOL_SIZE ? `, UV_THREADPOOL_SIZE=${SERVER_ENV.UV_THREADPOOL_SIZE}` : ''}`);
  console.log(`  sources: ${sourceReport.reused} reused, ${sourceReport.generated} generated (${mb(sourceReport.generatedBytes)} MB) in ${sourceReport.seconds.toFixed(1)} s, in ${path.relative(REPO_ROOT, sourcesDir)}`);

  const [image, staticServer] = await Promise.all([
    bundleImageProgram(),
    build({ ...imageBundleOptions(path.join(__dirname, 'support', 'static-file-server.ts'), `node${process.versions.node.split('.')[0]}`), outfile: path.join(CACHE_DIR, 'static-file-server.js') }).then(() => path.join(CACHE_DIR, 'static-file-server.js')),
  ]);
  // Next to the sources: the servers store on the disk the clients read from.
  const runDir = fs.mkdtempSync(path.join(BENCH_DIR, 'staging-run-'));
  const sameFilesystem = fs.statSync(runDir).dev === fs.statSync(sourcesDir).dev;
  fs.writeFileSync(path.join(runDir, 'upload-token'), `${UPLOAD_TOKEN}\n`);
  fs.writeFileSync(path.join(runDir, 'read-token'), `${READ_TOKEN}\n`);
  const warmUpFiles = Array.from({ length: WARM_UP_FILES }, (_, i) => {
    const data = randomBytes(WARM_UP_BYTES);
    const file = path.join(runDir, `warm-up-${i}`);
    fs.writeFileSync(file, data);
    return { name: `warm-up-${i}`, path: file, size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
  });

  const phases: PhaseResult[] = [];
  const serverRuns: Array<{ kind: ServerKind; idleRssMiB: number; peakRssMiB: number; highWaterRssMiB: number; diskBytes: number; exitCode: number | null; errorLogs: string[]; temporaryFilesLeft: number }> = [];
  let running: BenchServer[] = [];
  const sampler = setInterval(() => running.forEach((server) => server.sample()), SAMPLE_INTERVAL_MS);
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      // Odd rounds start with the staging server, even rounds with the plain one.
      const servers = await startServers(runDir, round, { image, staticServer }, warmUpFiles);
      running = Object.values(servers);
      const order: ServerKind[] = round % 2 === 1 ? ['staging', 'static'] : ['static', 'staging'];
      for (const operation of ['upload', 'download'] as const) {
        for (const kind of order) {
          const phase = await measurePhase(servers[kind], operation, files, round);
          phases.push(phase);
          console.log(`  round ${round} ${operation.padEnd(8)} ${SERVER_NAMES[kind].padEnd(18)} ${phase.seconds.toFixed(2).padStart(6)} s ${rate(phase.bytes, phase.seconds).padStart(7)} MB/s` +
            `  server CPU ${phase.serverCpuSeconds.toFixed(1)} s (${phase.serverSystemCpuSeconds.toFixed(1)} s system), peak RSS ${phase.serverPeakRssMiB.toFixed(0)} MiB${operation === 'upload' ? `, sync after ${phase.syncSeconds.toFixed(2)} s` : ''}` +
            `${phase.errors.length + phase.mismatches.length ? `, ${phase.errors.length} errors, ${phase.mismatches.length} mismatches` : ''}`);
        }
      }
      for (const server of running) {
        const exitCode = await server.stop();
        const errorLogs = server.program.logs.filter((line) => line.level === 'error').map((line) => JSON.stringify(line));
        if (server.program.stderr.length) errorLogs.push(`stderr: ${server.program.stderr.join('').trim()}`);
        const temporaryDir = path.join(server.directory, 'tmp');
        const temporaryFilesLeft = server.kind === 'staging' ? fs.readdirSync(temporaryDir).length : fs.readdirSync(server.directory).filter((name) => name.startsWith('tmp-')).length;
        serverRuns.push({ kind: server.kind, idleRssMiB: server.idleRssMiB, peakRssMiB: server.peakRssMiB, highWaterRssMiB: server.highWaterRssMiB, diskBytes: diskUsage(server.directory) - server.warmUpDiskBytes, exitCode, errorLogs, temporaryFilesLeft });
        fs.rmSync(server.directory, { recursive: true, force: true });
      }
      running = [];
    }
  } finally {
    clearInterval(sampler);
    for (const server of running) await server.stop();
    fs.rmSync(runDir, { recursive: true, force: true });
  }

  const total = (kind: ServerKind, operation: Operation) => {
    const selected = phases.filter((p) => p.server === kind && p.operation === operation);
    const seconds = selected.reduce((sum, p) => sum + p.seconds, 0);
    const bytes = selected.reduce((sum, p) => sum + p.bytes, 0);
    return {
      seconds: +seconds.toFixed(2),
      mbPerSecond: +(bytes / 1e6 / seconds).toFixed(1),
      serverCpuSecondsPerGB: +(selected.reduce((sum, p) => sum + p.serverCpuSeconds, 0) / (bytes / 1e9)).toFixed(2),
      serverSystemCpuSecondsPerGB: +(selected.reduce((sum, p) => sum + p.serverSystemCpuSeconds, 0) / (bytes / 1e9)).toFixed(2),
      clientCpuSecondsPerGB: +(selected.reduce((sum, p) => sum + p.clientCpuSeconds, 0) / (bytes / 1e9)).toFixed(2),
      syncSecondsAfter: +selected.reduce((sum, p) => sum + p.syncSeconds, 0).toFixed(2),
    };
  };
  const server = (kind: ServerKind) => {
    const runs = serverRuns.filter((r) => r.kind === kind);
    return {
      upload: total(kind, 'upload'),
      download: total(kind, 'download'),
      idleRssMiB: +Math.max(...runs.map((r) => r.idleRssMiB)).toFixed(1),
      peakRssMiB: +Math.max(...runs.map((r) => r.peakRssMiB)).toFixed(1),
      vmHwmMiB: +Math.max(...runs.map((r) => r.highWaterRssMiB)).toFixed(1),
      diskBytes: Math.max(...runs.map((r) => r.diskBytes)),
      temporaryFilesLeft: runs.reduce((sum, r) => sum + r.temporaryFilesLeft, 0),
      exitCodes: runs.map((r) => r.exitCode),
      errorLogLines: runs.reduce((sum, r) => sum + r.errorLogs.length, 0),
    };
  };
  const staging = server('staging');
  const plain = server('static');
  const ratio = (operation: Operation) => +(staging[operation].mbPerSecond / plain[operation].mbPerSecond).toFixed(3);
  // The plain server's uploads are durable only once the kernel has written them: counting the
  // `sync` after each upload phase compares like with like (the staging server fsyncs each blob).
  const uploadWithSyncRatio = +((plain.upload.seconds + plain.upload.syncSecondsAfter) / (staging.upload.seconds + staging.upload.syncSecondsAfter)).toFixed(3);
  const roundRatios = (operation: Operation) => Array.from({ length: ROUNDS }, (_, i) => {
    const of = (kind: ServerKind) => phases.find((p) => p.round === i + 1 && p.server === kind && p.operation === operation)!;
    return +(of('static').seconds / of('staging').seconds).toFixed(3);
  });
  const errors = phases.flatMap((p) => p.errors.map((e) => `${SERVER_NAMES[p.server]}, round ${p.round}: ${e}`));
  const mismatches = phases.flatMap((p) => p.mismatches.map((e) => `${SERVER_NAMES[p.server]}, round ${p.round}: ${e}`));
  const serverProblems = serverRuns.flatMap((r) => [
    ...r.errorLogs.map((line) => `${SERVER_NAMES[r.kind]} logged: ${line}`),
    ...(r.exitCode !== 0 ? [`${SERVER_NAMES[r.kind]} exited with ${r.exitCode} on SIGTERM`] : []),
    ...(r.temporaryFilesLeft ? [`${SERVER_NAMES[r.kind]} left ${r.temporaryFilesLeft} temporary files`] : []),
  ]);
  const stagingPhasePeak = (operation: Operation) => Math.max(...phases.filter((p) => p.server === 'staging' && p.operation === operation).map((p) => p.serverPeakRssMiB));
  const concurrentTransfers = Math.min(CLIENTS, FILES);
  const figures = {
    files: FILES, totalBytes, largestBytes: largest, medianBytes: median, filesAtMax: FILES_AT_MAX, clients: CLIENTS, rounds: ROUNDS, seed: SEED,
    staging, static: plain,
    ratios: { upload: ratio('upload'), uploadWithSync: uploadWithSyncRatio, download: ratio('download'), uploadByRound: roundRatios('upload'), downloadByRound: roundRatios('download') },
    stagingRssGrowthPerConcurrentUploadMiB: +((stagingPhasePeak('upload') - staging.idleRssMiB) / concurrentTransfers).toFixed(2),
    stagingRssGrowthPerConcurrentDownloadMiB: +((stagingPhasePeak('download') - staging.idleRssMiB) / concurrentTransfers).toFixed(2),
    errors: errors.length + serverProblems.length, mismatches: mismatches.length,
    sourceCacheBytes: diskUsage(sourcesDir), sameFilesystem, benchSeconds: +((Date.now() - benchStarted) / 1000).toFixed(1), node: process.version, uvThreadpoolSize: Number(SERVER_ENV.UV_THREADPOOL_SIZE ?? 4),
  };

  const row = (label: string, cells: string[]) => console.log(`  ${label.padEnd(30)}${cells.map((c) => c.padStart(14)).join('')}`);
  console.log(`\nstaging bench figures (${ROUNDS} round(s) of ${mb(totalBytes)} MB each way per server; MB = 10^6 bytes)`);
  row('', ['staging server', 'static server', 'ratio']);
  row('upload seconds (total)', [`${staging.upload.seconds}`, `${plain.upload.seconds}`, '']);
  row('upload MB/s', [`${staging.upload.mbPerSecond}`, `${plain.upload.mbPerSecond}`, `${figures.ratios.upload}`]);
  row('  by round (throughput ratio)', ['', '', figures.ratios.uploadByRound.join(' ')]);
  row('  `sync` after upload, s', [`${staging.upload.syncSecondsAfter}`, `${plain.upload.syncSecondsAfter}`, '']);
  row('  upload + sync MB/s', [rate(totalBytes * ROUNDS, staging.upload.seconds + staging.upload.syncSecondsAfter), rate(totalBytes * ROUNDS, plain.upload.seconds + plain.upload.syncSecondsAfter), `${uploadWithSyncRatio}`]);
  row('download seconds (total)', [`${staging.download.seconds}`, `${plain.download.seconds}`, '']);
  row('download MB/s', [`${staging.download.mbPerSecond}`, `${plain.download.mbPerSecond}`, `${figures.ratios.download}`]);
  row('  by round (throughput ratio)', ['', '', figures.ratios.downloadByRound.join(' ')]);
  row('server CPU s/GB up, down', [`${staging.upload.serverCpuSecondsPerGB}, ${staging.download.serverCpuSecondsPerGB}`, `${plain.upload.serverCpuSecondsPerGB}, ${plain.download.serverCpuSecondsPerGB}`, '']);
  row('  of which system, up, down', [`${staging.upload.serverSystemCpuSecondsPerGB}, ${staging.download.serverSystemCpuSecondsPerGB}`, `${plain.upload.serverSystemCpuSecondsPerGB}, ${plain.download.serverSystemCpuSecondsPerGB}`, '']);
  row('client CPU s/GB up, down', [`${staging.upload.clientCpuSecondsPerGB}, ${staging.download.clientCpuSecondsPerGB}`, `${plain.upload.clientCpuSecondsPerGB}, ${plain.download.clientCpuSecondsPerGB}`, '']);
  row('RSS idle, MiB', [`${staging.idleRssMiB}`, `${plain.idleRssMiB}`, '']);
  row('RSS peak sampled / VmHWM, MiB', [`${staging.peakRssMiB} / ${staging.vmHwmMiB}`, `${plain.peakRssMiB} / ${plain.vmHwmMiB}`, '']);
  row('disk used by the store, MB', [mb(staging.diskBytes), mb(plain.diskBytes), '']);
  console.log(`  staging RSS growth per concurrent transfer: ${figures.stagingRssGrowthPerConcurrentUploadMiB} MiB uploading, ${figures.stagingRssGrowthPerConcurrentDownloadMiB} MiB downloading (${concurrentTransfers} at once)`);
  console.log(`  errors ${figures.errors}, mismatches ${figures.mismatches}; source cache ${mb(figures.sourceCacheBytes)} MB; same filesystem ${sameFilesystem}; ${figures.benchSeconds} s in all (Node ${process.version})`);
  for (const problem of [...errors, ...mismatches, ...serverProblems].slice(0, 20)) console.log(`  ! ${problem}`);
  console.log(`BENCH_STAGING_FIGURES ${JSON.stringify(figures)}`);
  fs.writeFileSync(path.join(BENCH_DIR, 'staging.json'), JSON.stringify(figures, null, 2));
  if (figures.errors || figures.mismatches) process.exitCode = 1;
}

/** A field of /proc/<pid>/status in MiB; undefined once the process is gone. */
function procStatusMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** utime and stime of a process, in seconds. */
function cpuTimes(pid: number): { user: number; system: number } {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
}

/** Bytes allocated on disk under `directory`. */
function diskUsage(directory: string): number {
  let bytes = 0;
  for (const entry of fs.readdirSync(directory, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) bytes += fs.statSync(path.join(entry.parentPath ?? entry.path, entry.name)).blocks * 512;
  }
  return bytes;
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 0);
}

function rate(bytes: number, seconds: number): string {
  return (bytes / 1e6 / seconds).toFixed(1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
