// The allocator's JVM bridge (jvm/allocator-bridge), compiled once against Spark 3.5.9 with
// `javac --release 8`, links and works on every Spark line: a small Java probe (compiled with it)
// constructs it as KubernetesClusterManager does (the six-class constructor, Spark's own Kubernetes
// client factory), starts it with a real KubernetesClusterSchedulerBackend object, gives it a target
// through a Scala Map, and the bridge speaks lib/core/allocator/protocol.ts with a fake sidecar served
// here (hello, a 409 UnknownBridge that makes it say hello again, syncs, one mint request of 2 pods,
// deleted IDs, stop). A fake API server serves the driver pod (so the minted pods are owned by it)
// and records stop's delete by label. On Spark 3.5 the bridge's own maxNumFailures tracker ends the
// JVM with exit code 11; on 4.x Spark's lifecycle manager counts failures and the bridge does not. No LinkageError on any line, and the authentication secret
// that the pods carry (env _SPARK_AUTH_SECRET) never appears in the JVM's output.
//
// Needs no control plane. Spark 3.5.9 and 4.0.5 come from the e2e suite's installs (.cache/spark,
// installed from PyPI when absent); 4.1.4, 4.2.1 and 4.3.0 are used when present in
// ~/.cache/sparkplane/spark-dist/pyspark-<version>/jars, and skipped with a logged reason otherwise.
import { spawn, type ChildProcess } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import {
  ALLOCATOR_BRIDGE_CLASS,
  ALLOCATOR_BRIDGE_JAR,
  ALLOCATOR_PROTOCOL_VERSION,
  ALLOCATOR_URL_ENV,
  SYNC_HOLD_MS,
  type BridgeHello,
  type BridgeSync,
  type BridgeSyncReply,
  type KubeJson,
  type MintedExecutor,
} from '../../lib/core/allocator/protocol';
import { REPO_ROOT, run, tail } from './support/run';
import { ensureSparkHome, javaHome } from './support/spark-home';

const BUILD_SCRIPT = path.join(REPO_ROOT, 'scripts', 'allocator-bridge', 'build');
const DIST_CACHE = path.join(os.homedir(), '.cache', 'sparkplane', 'spark-dist');
const NAMESPACE = 'probe-ns';
const DRIVER = { name: 'sparkplane-probe-driver', uid: '0b5e2a3c-8f1d-4c7e-9a6b-1d2e3f4a5b6c' };
const LINKAGE = /LinkageError|NoSuchMethodError|NoSuchFieldError|NoClassDefFoundError|IncompatibleClassChangeError|AbstractMethodError|ClassFormatError|VerifyError/;

/** Lines from the e2e installs (.cache/spark) and lines taken only when already in the dist cache. */
const INSTALLED_LINES = ['3.5.9', '4.0.5'];
const OPTIONAL_LINES = ['4.1.4', '4.2.1', '4.3.0'];

let bridgeJar: string;
let probeJar: string;
let java: string;
let scratch: string;

beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkplane-bridge-linkage-'));
  java = path.join(await javaHome(), 'bin', 'java');
  const spark35 = await ensureSparkHome('3.5.9');
  const build = await run(BUILD_SCRIPT, ['--spark-jars', spark35.jarsDir], { cwd: REPO_ROOT, timeoutMs: 5 * 60_000 });
  if (build.code !== 0) throw new Error(`scripts/allocator-bridge/build exited ${build.code ?? build.signal}:\n${tail(build.stderr || build.stdout, 40)}`);
  bridgeJar = build.stdout.trim().split('\n').pop()!;
  probeJar = path.join(path.dirname(bridgeJar), 'sparkplane-allocator-bridge-probe.jar');
  expect(path.basename(bridgeJar)).toBe(ALLOCATOR_BRIDGE_JAR);
}, 30 * 60_000);

afterAll(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe('the bridge jar', () => {
  it('is Java 8 bytecode (class-file version 52), bundles nothing, and a second build is a cache hit', async () => {
    const listing = await run(path.join(path.dirname(java), 'jar'), ['tf', bridgeJar]);
    const classes = listing.stdout.split('\n').filter((l) => l.endsWith('.class'));
    expect(classes.length).toBeGreaterThan(0);
    expect(classes.every((c) => c.startsWith('dev/sparkplane/allocator/bridge/'))).toBe(true);
    expect(classes).toContain(`${ALLOCATOR_BRIDGE_CLASS.replace(/\./g, '/')}.class`);
    expect(classes.some((c) => /Probe/.test(c))).toBe(false);

    const javap = await run(path.join(path.dirname(java), 'javap'), ['-v', '-cp', bridgeJar, ALLOCATOR_BRIDGE_CLASS]);
    expect(javap.stdout).toMatch(/major version: 52\b/);

    const started = Date.now();
    const again = await run(BUILD_SCRIPT, [], { cwd: REPO_ROOT, timeoutMs: 60_000 });
    expect({ code: again.code, jar: again.stdout.trim() }).toEqual({ code: 0, jar: bridgeJar });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

interface SparkLine {
  readonly version: string;
  readonly jarsDir?: string;
  readonly skip?: string;
}

function optionalLine(version: string): SparkLine {
  const jarsDir = path.join(DIST_CACHE, `pyspark-${version}`, 'jars');
  const core = fs.existsSync(jarsDir) && fs.readdirSync(jarsDir).some((j) => j === `spark-core_2.13-${version}.jar`);
  return core ? { version, jarsDir } : { version, skip: `no Spark ${version} distribution in ${jarsDir}` };
}

const LINES: SparkLine[] = [...INSTALLED_LINES.map((version) => ({ version })), ...OPTIONAL_LINES.map(optionalLine)];

describe.each(LINES)('Spark $version', (line) => {
  const maybe = line.skip ? it.skip : it;
  if (line.skip) {
    // eslint-disable-next-line no-console
    console.warn(`allocator-bridge-linkage: skipping Spark ${line.version}: ${line.skip}`);
  }

  maybe('constructs the bridge like KubernetesClusterManager, mints 2 executor pods over the protocol, stops; no LinkageError', async () => {
    const jarsDir = line.jarsDir ?? (await ensureSparkHome(line.version)).jarsDir;
    const sidecar = await startFakeSidecar();
    const api = await startFakeApiServer();
    const appId = `spark-probe-${line.version.replace(/\./g, '')}`;
    const probe = startProbe(jarsDir, sidecar.url, api.url, appId);
    try {
      const constructed = await probe.event('constructed');
      expect(constructed).toMatchObject({ driverPod: DRIVER.name, driverUid: DRIVER.uid, lifecycleManagerTracksFailures: !line.version.startsWith('3.') });
      const started = await probe.event('started');
      expect((await probe.event('spark')).version).toBe(line.version);

      // hello: exactly the protocol's shape.
      const hello = await sidecar.hello;
      expect(hello).toEqual<BridgeHello>({
        protocol: ALLOCATOR_PROTOCOL_VERSION,
        bridgeId: constructed.bridgeId as string,
        appId,
        namespace: NAMESPACE,
        driverPod: DRIVER,
        sparkVersion: line.version,
      });

      // The first sync is refused as a restarted sidecar refuses it (409): the bridge says hello again.
      await until(() => sidecar.syncs.length > 0, 'a sync after the second hello');
      expect(sidecar.hellos).toEqual([hello, hello]);

      // The mint request is answered with 2 pods, then a later sync carries no more.
      const minted = await sidecar.minted;
      await until(() => sidecar.syncs.length > sidecar.syncIndexOfMinted + 1, 'a sync after the minted pods');

      // Every sync: the protocol's keys only, no executor registered, and the target of profile 0 once
      // Spark set it (start comes first, as in Spark, so the first syncs may have no target yet).
      const first = sidecar.syncs.findIndex((s) => Object.keys(s.targets).length > 0);
      expect(first).toBeGreaterThanOrEqual(0);
      sidecar.syncs.forEach((sync, i) => {
        expect(Object.keys(sync).filter((k) => !['bridgeId', 'seq', 'targets', 'registered', 'profiles', 'minted'].includes(k))).toEqual([]);
        expect(sync).toEqual(expect.objectContaining({ bridgeId: hello.bridgeId, targets: i < first ? {} : { 0: 3 }, registered: [] }));
        if (i > 0) expect(sync.seq).toBeGreaterThan(sidecar.syncs[i - 1].seq);
      });
      // The profile's pod (executor ID 0, container appended) once, in the first sync with its target.
      expect(sidecar.syncs.map((s, i) => (s.profiles ? i : -1)).filter((i) => i >= 0)).toEqual([first]);
      expect(Object.keys(sidecar.syncs[first].profiles!)).toEqual(['0']);
      const profile = sidecar.syncs[first].profiles!['0'];
      const profileContainers = (profile.pod.spec as { containers: KubeJson[] }).containers;
      expect(profileContainers[profileContainers.length - 1]).toEqual(profile.container);
      expect(labelsOf(profile.pod)).toMatchObject({ 'spark-exec-id': '0' });

      expect(minted.map((m) => m.executorId)).toEqual(['1', '2']);
      for (const m of minted) {
        expect(Object.keys(m).sort()).toEqual(['container', 'executorId', 'pod', 'request', 'resourceProfileId', 'resources']);
        expect(m).toMatchObject({ request: 'req-1', resourceProfileId: 0 });
        const meta = m.pod.metadata as { name: string; labels: Record<string, string>; ownerReferences: KubeJson[] };
        expect(meta.name).toBe(`sparkplane-probe-exec-${m.executorId}`);
        expect(meta.labels).toMatchObject({
          'spark-app-selector': appId,
          'spark-role': 'executor',
          'spark-exec-id': m.executorId,
          'spark-exec-resourceprofile-id': '0',
        });
        expect(meta.ownerReferences).toEqual([expect.objectContaining({ apiVersion: 'v1', kind: 'Pod', name: DRIVER.name, uid: DRIVER.uid, controller: true })]);
        // The executor container comes apart; the sidecar appends it.
        const containers = ((m.pod.spec as { containers?: KubeJson[] }).containers ?? []).map((c) => c.name);
        expect(containers).not.toContain(m.container.name);
        expect(m.container).toMatchObject({ name: expect.any(String), image: 'apache/spark:probe' });
        const env = (m.container.env as Array<{ name: string; value?: string }>) ?? [];
        expect(env).toEqual(expect.arrayContaining([{ name: 'SPARK_EXECUTOR_ID', value: m.executorId }]));
        // The on-demand claim, which the sidecar creates owned by the pod.
        expect(m.resources).toEqual([expect.objectContaining({ kind: 'PersistentVolumeClaim' })]);
      }
      // The spark.authenticate secret is in the pods (as Spark puts it: env _SPARK_AUTH_SECRET,
      // SecurityManager.ENV_AUTH_SECRET), never in the JVM's output.
      const secret = ((minted[0].container.env as Array<{ name: string; value?: string }>) ?? []).find((e) => e.name === '_SPARK_AUTH_SECRET')?.value;
      expect(secret).toEqual(expect.any(String));
      expect(createHash('sha256').update(secret!).digest('hex')).toBe(started.secretSha256);

      // isDeleted: the deleted IDs of the replies.
      probe.send('isDeleted 9');
      expect((await probe.event('isDeleted')).value).toBe(true);
      probe.send('isDeleted 1');
      expect((await probe.event('isDeleted', 2)).value).toBe(false);
      probe.send('state');
      expect(await probe.event('state')).toMatchObject({ lastExecutorId: 2 });

      // stop: /v1/stop with the bridge ID, then the executors deleted by label through the API server.
      probe.send('stop');
      await probe.event('stopped');
      expect(sidecar.stops).toEqual([{ bridgeId: hello.bridgeId }]);
      const deletes = api.requests.filter((r) => r.method === 'DELETE');
      expect(deletes.length).toBeGreaterThan(0);
      for (const d of deletes) {
        const url = new URL(d.url, 'http://x');
        expect(url.pathname).toMatch(new RegExp(`^/api/v1/namespaces/${NAMESPACE}/pods(/|$)`));
      }
      const selectors = api.requests.map((r) => new URL(r.url, 'http://x').searchParams.get('labelSelector')).filter((s): s is string => !!s);
      expect(selectors).toContainEqual(expect.stringMatching(new RegExp(`spark-app-selector=${appId}`)));
      expect(selectors.every((s) => s.includes('spark-role=executor'))).toBe(true);
      const syncsAtStop = sidecar.syncs.length;
      await new Promise((r) => setTimeout(r, 2 * SYNC_HOLD_MS));
      expect(sidecar.syncs.length).toBe(syncsAtStop); // the thread has stopped

      if (line.version.startsWith('3.')) {
        // Spark 3.5: the bridge's tracker (3.5's direct allocator's): maxNumFailures=1, the second failure exits 11.
        probe.send('failPod 1');
        expect((await probe.event('failed')).numFailedExecutors).toBe(1);
        probe.send('failPod 2');
      } else {
        probe.send('state');
        expect((await probe.event('state', 2)).numFailedExecutors).toBe(-1); // Spark's lifecycle manager counts
        probe.send('exit');
      }
      const exit = await probe.exited;
      expect(exit.code).toBe(line.version.startsWith('3.') ? 11 : 0);
      expect(probe.events().filter((e) => e.event === 'error')).toEqual([]);
      expect(probe.output()).not.toMatch(LINKAGE);
      expect(probe.output()).not.toContain(secret!);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- probe output (Spark ${line.version}) ---\n${tail(probe.output(), 60)}`);
    } finally {
      probe.kill();
      await sidecar.close();
      await api.close();
    }
  }, 90_000);
});

// ----------------------------------------------------------------------------- the probe JVM

interface ProbeEvent {
  readonly event: string;
  readonly [key: string]: unknown;
}

function startProbe(jarsDir: string, sidecarUrl: string, apiUrl: string, appId: string) {
  const home = fs.mkdtempSync(path.join(scratch, 'home-'));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, [ALLOCATOR_URL_ENV]: sidecarUrl };
  const child: ChildProcess = spawn(
    java,
    ['-Xmx512m', '-Dorg.apache.logging.log4j.level=INFO', '-cp', `${bridgeJar}:${probeJar}:${jarsDir}/*`, 'dev.sparkplane.allocator.bridge.BridgeProbe', apiUrl, NAMESPACE, DRIVER.name, appId],
    { env, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let output = '';
  let pending = '';
  const events: ProbeEvent[] = [];
  const waiters: Array<() => void> = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString('utf8');
  };
  child.stderr!.on('data', onData);
  child.stdout!.on('data', (chunk: Buffer) => {
    onData(chunk);
    pending += chunk.toString('utf8');
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const lineText = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (lineText.startsWith('PROBE ')) {
        events.push(JSON.parse(lineText.slice(6)) as ProbeEvent);
        waiters.splice(0).forEach((w) => w());
      }
    }
  });
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      exitInfo = { code, signal };
      waiters.splice(0).forEach((w) => w());
      resolve(exitInfo);
    }),
  );
  child.stdin!.on('error', () => undefined);

  /** The `nth` event of that name (1-based), waiting for it up to 30 s. */
  const event = (name: string, nth = 1, timeoutMs = 30_000): Promise<ProbeEvent> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the probe did not report "${name}" (#${nth}) within ${timeoutMs} ms`)), timeoutMs);
      const check = () => {
        const error = events.find((e) => e.event === 'error');
        const found = events.filter((e) => e.event === name)[nth - 1];
        if (found) {
          clearTimeout(timer);
          resolve(found);
        } else if (error || exitInfo) {
          clearTimeout(timer);
          reject(new Error(error ? `the probe failed: ${JSON.stringify(error)}` : `the probe exited (${JSON.stringify(exitInfo)}) before "${name}"`));
        } else {
          waiters.push(check);
        }
      };
      check();
    });
  return {
    event,
    exited,
    send: (command: string) => child.stdin!.write(`${command}\n`),
    events: () => events,
    output: () => output,
    kill: () => {
      if (!exitInfo) child.kill('SIGKILL');
    },
  };
}

// ----------------------------------------------------------------------------- fake servers

async function listen(handler: http.RequestListener): Promise<{ server: http.Server; url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * A sidecar that speaks protocol.ts: answers hello, holds idle syncs for SYNC_HOLD_MS, asks for one
 * mint of 2 pods (request "req-1", profile 0) until they arrive, and always reports executor 9 deleted.
 */
async function startFakeSidecar() {
  const syncs: BridgeSync[] = [];
  const hellos: BridgeHello[] = [];
  const stops: unknown[] = [];
  let refusedOnce = false;
  let syncIndexOfMinted = -1;
  let resolveHello!: (h: BridgeHello) => void;
  let resolveMinted!: (m: readonly MintedExecutor[]) => void;
  const hello = new Promise<BridgeHello>((r) => (resolveHello = r));
  const minted = new Promise<readonly MintedExecutor[]>((r) => (resolveMinted = r));
  const received: MintedExecutor[] = [];
  const server = await listen(async (req, res) => {
    const body = await readBody(req);
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'POST only' });
    switch (req.url) {
      case '/v1/hello':
        hellos.push(JSON.parse(body) as BridgeHello);
        resolveHello(hellos[0]);
        return sendJson(res, 200, { protocol: ALLOCATOR_PROTOCOL_VERSION });
      case '/v1/sync': {
        const sync = JSON.parse(body) as BridgeSync;
        if (!refusedOnce) {
          // As the real sidecar after a restart: a bridge it has no hello of is refused (409 UnknownBridge).
          refusedOnce = true;
          return sendJson(res, 409, { kind: 'Status', reason: 'UnknownBridge', message: `bridge ${sync.bridgeId} has not said hello to this sidecar` });
        }
        syncs.push(sync);
        if (sync.minted?.length) {
          received.push(...sync.minted);
          if (received.length >= 2 && syncIndexOfMinted < 0) {
            syncIndexOfMinted = syncs.length - 1;
            resolveMinted(received);
          }
        }
        const open = received.length < 2;
        if (!open && !sync.minted?.length) await new Promise((r) => setTimeout(r, SYNC_HOLD_MS));
        const reply: BridgeSyncReply = { mint: open ? [{ request: 'req-1', resourceProfileId: 0, count: 2 }] : [], deleted: ['9'] };
        return sendJson(res, 200, reply);
      }
      case '/v1/stop':
        stops.push(JSON.parse(body));
        return sendJson(res, 200, {});
      default:
        return sendJson(res, 404, { error: `no ${req.url}` });
    }
  });
  return {
    url: server.url,
    close: server.close,
    hello,
    minted,
    syncs,
    hellos,
    stops,
    get syncIndexOfMinted() {
      return syncIndexOfMinted;
    },
  };
}

/** An API server that knows the driver pod, and records (and accepts) everything else. */
async function startFakeApiServer() {
  const requests: Array<{ method: string; url: string }> = [];
  const server = await listen(async (req, res) => {
    await readBody(req);
    requests.push({ method: req.method!, url: req.url! });
    const { pathname } = new URL(req.url!, 'http://x');
    if (req.method === 'GET' && pathname === `/api/v1/namespaces/${NAMESPACE}/pods/${DRIVER.name}`) {
      return sendJson(res, 200, { apiVersion: 'v1', kind: 'Pod', metadata: { name: DRIVER.name, namespace: NAMESPACE, uid: DRIVER.uid }, spec: { containers: [{ name: 'spark-kubernetes-driver', image: 'apache/spark:probe' }] } });
    }
    if (pathname === `/api/v1/namespaces/${NAMESPACE}/pods`) {
      if (req.method === 'DELETE' || req.method === 'GET') return sendJson(res, 200, { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: '1' }, items: [] });
    }
    return sendJson(res, 404, { apiVersion: 'v1', kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, message: `${req.method} ${pathname} not found` });
  });
  return { url: server.url, close: server.close, requests };
}

async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function labelsOf(obj: KubeJson): Record<string, string> {
  return ((obj.metadata as { labels?: Record<string, string> }) ?? {}).labels ?? {};
}
