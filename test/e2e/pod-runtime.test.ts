// The process kubelet computes what a kubelet computes: these pin its $(VAR) expansion to
// Kubernetes' own (the cases of k8s.io/kubernetes v1.36.3
// third_party/forked/golang/expansion/expand_test.go), its environment to the kubelet's order and
// sources, and check that the isolation script is valid bash.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import type { KubeObj } from '../integration/support/kube';
import { KubeApi, suiteKubeApi } from './support/kube-api';
import { containerEnv, expandKubeVars, hostsFile, podField, podStartScript, rootfsStartScript, type KeyReader } from './support/pod-runtime';
import { ProcessKubelet } from './support/process-kubelet';
import { waitUntil } from './support/run';
import { buildTestRootfs, TEST_ROOTFS_OS_NAME } from './support/test-rootfs';

const context: Record<string, string> = { VAR_A: 'A', VAR_B: 'B', VAR_C: 'C', VAR_REF: '$(VAR_A)', VAR_EMPTY: '' };

// [input, expected] with the mapping above, as upstream tests Expand.
const CASES: Array<[string, string]> = [
  ['$(VAR_A)', 'A'],
  ['$(VAR_A)-$(VAR_A)', 'A-A'],
  ['$(VAR_A)-1', 'A-1'],
  ['___$(VAR_B)___', '___B___'],
  ['___$(VAR_C)', '___C'],
  ['$(VAR_A)_$(VAR_B)_$(VAR_C)', 'A_B_C'],
  ['$$(VAR_B)_$(VAR_A)', '$(VAR_B)_A'],
  ['$$(VAR_A)_$$(VAR_B)', '$(VAR_A)_$(VAR_B)'],
  ['f000-$$VAR_A', 'f000-$VAR_A'],
  ['foo\\$(VAR_C)bar', 'foo\\Cbar'],
  ['foo\\\\$(VAR_C)bar', 'foo\\\\Cbar'],
  ['foo\\\\\\\\$(VAR_A)bar', 'foo\\\\\\\\Abar'],
  ['$(VAR_A$(VAR_B))', '$(VAR_A$(VAR_B))'],
  ['$(VAR_A$(VAR_B)', '$(VAR_A$(VAR_B)'],
  ['$(VAR_REF)', '$(VAR_A)'],
  ['%%$(VAR_REF)--$(VAR_REF)%%', '%%$(VAR_A)--$(VAR_A)%%'],
  ['foo$(VAR_EMPTY)bar', 'foobar'],
  ['foo$(VAR_Awhoops!', 'foo$(VAR_Awhoops!'],
  ['f00__(VAR_A)__', 'f00__(VAR_A)__'],
  ['$?_boo_$!', '$?_boo_$!'],
  ['$VAR_A', '$VAR_A'],
  ['$(VAR_DNE)', '$(VAR_DNE)'],
  ['$$$$$$(BIG_MONEY)', '$$$(BIG_MONEY)'],
  ['$$$$$$(VAR_A)', '$$$(VAR_A)'],
  ['$$$$$$$(GOOD_ODDS)', '$$$$(GOOD_ODDS)'],
  ['$$$$$$$(VAR_A)', '$$$A'],
  ['$VAR_A)', '$VAR_A)'],
  ['${VAR_A}', '${VAR_A}'],
  ['$(VAR_B)_______$(A', 'B_______$(A'],
  ['$(VAR_C)_______$(', 'C_______$('],
  ['$(VAR_A)foobarzab$', 'Afoobarzab$'],
  ['foo-\\$(VAR_A', 'foo-\\$(VAR_A'],
  ['--$($($($($--', '--$($($($($--'],
  ['$($($($($--foo$(', '$($($($($--foo$('],
  ['foo0--$($($($(', 'foo0--$($($($('],
  ['$(foo$$var)', '$(foo$$var)'],
  ['\n', '\n'],
  ['$£FOO', '$£FOO'],
  ['prefix-$€-suffix', 'prefix-$€-suffix'],
  ['$中文', '$中文'],
  ['$😀x$(VAR_A)', '$😀xA'],
];

describe('$(VAR) expansion, as Kubernetes does it', () => {
  it.each(CASES)('%j → %j', (input, expected) => {
    expect(expandKubeVars(input, (name) => context[name])).toBe(expected);
  });
});

const pod: KubeObj = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'app-driver-x1', namespace: 'ns1', uid: 'u-1', labels: { 'spark-role': 'driver', app: 'a' }, annotations: { note: 'n' } },
  spec: { nodeName: 'sparkplane-process-node', serviceAccountName: 'app-driver', containers: [] },
};

describe('the container environment', () => {
  const objects: Record<string, Record<string, string>> = { 'configmap/settings': { MODE: 'fast', 'not a name': 'x' }, 'secret/creds': { password: 's3cret' } };
  const read: KeyReader = async (kind, name) => objects[`${kind}/${name}`];

  it('envFrom first, then env in order, each value expanded with what came before; fieldRef, keys and service variables', async () => {
    const env = await containerEnv(pod, {
      envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'CFG_' }, { secretRef: { name: 'missing', optional: true } }],
      env: [
        { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'GREETING', value: 'hi $(POD) on $(KUBERNETES_SERVICE_HOST), $(LATER) $$(POD)' },
        { name: 'LATER', value: 'later' },
        { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
        { name: 'ROLE', valueFrom: { fieldRef: { fieldPath: "metadata.labels['spark-role']" } } },
      ],
    }, read, { KUBERNETES_SERVICE_HOST: '127.0.0.1' });
    expect(env).toEqual({
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      CFG_MODE: 'fast',
      POD: 'app-driver-x1',
      IP: '127.0.0.1',
      GREETING: 'hi app-driver-x1 on 127.0.0.1, $(LATER) $(POD)',
      LATER: 'later',
      PASSWORD: 's3cret',
      ROLE: 'driver',
    });
  });

  it('a missing Secret key that is not optional stops the container from starting', async () => {
    await expect(containerEnv(pod, { env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'nope' } } }] }, read, {})).rejects.toThrow(
      'env X: secret "creds" has no key "nope"',
    );
  });

  it('downward API fields', () => {
    expect(podField(pod, 'metadata.namespace')).toBe('ns1');
    expect(podField(pod, 'metadata.uid')).toBe('u-1');
    expect(podField(pod, 'spec.serviceAccountName')).toBe('app-driver');
    expect(podField(pod, 'metadata.labels')).toBe('app="a"\nspark-role="driver"');
    expect(() => podField(pod, 'spec.bogus')).toThrow('fieldRef spec.bogus is not supported');
  });
});

describe('the pod files', () => {
  it('/etc/hosts: the pod, kubernetes.default.svc and the Services that select pods of the node, at 127.0.0.1', () => {
    const service = (name: string, namespace: string, selector?: Record<string, string>): KubeObj => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector } });
    const hosts = hostsFile(pod, 'app-driver-x1', [service('app-driver', 'ns1', { 'spark-role': 'driver' }), service('other', 'ns1', { app: 'b' }), service('ext', 'ns1')], [pod]);
    expect(hosts).toContain('127.0.0.1\tapp-driver-x1\n');
    expect(hosts).toContain('127.0.0.1\tkubernetes.default.svc kubernetes.default.svc.cluster.local kubernetes.default\n');
    expect(hosts).toContain('127.0.0.1\tapp-driver.ns1.svc app-driver.ns1.svc.cluster.local app-driver.ns1 app-driver\n');
    expect(hosts).not.toMatch(/other|ext\./);
  });

  it('the isolation script is valid bash, mounts parents before children, and drops to the pod user', () => {
    const script = podStartScript({
      mounts: [
        { target: '/opt/spark/work-dir', source: '/x/work', readOnly: false, kind: 'dir' },
        { target: '/opt/spark', source: "/x/spark home's", readOnly: true, kind: 'dir' },
        { target: '/etc/hosts', source: '/x/hosts', readOnly: false, kind: 'file' },
      ],
      scratchDir: '/x/scratch',
      hostname: 'app-driver-x1',
      workingDir: '/opt/spark/work-dir',
      uid: 185,
      gid: 185,
      groups: [185, 185, 2000],
      readOnlyRootFilesystem: true,
    });
    expect(spawnSync('bash', ['-n'], { input: script }).status).toBe(0);
    const binds = script.split('\n').filter((l) => l.startsWith('bind '));
    // Every source is opened before the first mount, then bound from its descriptor, parents first.
    expect(script.split('\n').filter((l) => l.startsWith('exec {source_'))).toEqual([
      "exec {source_0}<'/x/spark home'\\''s'",
      "exec {source_1}<'/x/hosts'",
      "exec {source_2}<'/x/work'",
      'exec {source_0}<&-',
      'exec {source_1}<&-',
      'exec {source_2}<&-',
    ]);
    expect(binds).toEqual([
      "bind \"/proc/self/fd/$source_0\" '/opt/spark' ro dir '/x/spark home'\\''s'",
      "bind \"/proc/self/fd/$source_1\" '/etc/hosts' rw file '/x/hosts'",
      "bind \"/proc/self/fd/$source_2\" '/opt/spark/work-dir' rw dir '/x/work'",
    ]);
    expect(script).toContain('mount -o remount,bind,ro /');
    expect(script).toContain('exec setpriv --reuid=185 --regid=185 --groups=185,2000 --no-new-privs --inh-caps=-all --bounding-set=-all --pdeathsig=KILL -- "$@"');
  });
});

describe('the isolation script of a rootfs image', () => {
  it('is valid bash: an overlay over the image, mounts resolved inside it, then chroot as the pod user', () => {
    const script = rootfsStartScript({
      rootfs: '/x/rootfs',
      mounts: [
        { target: '/shared/deep', source: '/x/vol', readOnly: true, kind: 'dir' },
        { target: '/etc/hosts', source: "/x/it's hosts", readOnly: false, kind: 'file' },
      ],
      scratchDir: '/x/scratch',
      hostname: 'p',
      workingDir: '/home/app',
      uid: 1000,
      gid: 1000,
      groups: [1000, 1000, 2000],
      readOnlyRootFilesystem: true,
    });
    expect(spawnSync('bash', ['-n'], { input: script }).status).toBe(0);
    expect(script).toContain('mount -t overlay overlay -o "lowerdir=$lower,upperdir=$top/upper,workdir=$top/work" "$top/root"');
    expect(script.split('\n').filter((l) => l.startsWith('mnt '))).toEqual([
      "mnt '/x/vol' '/shared/deep' ro dir",
      "mnt '/x/it'\\''s hosts' '/etc/hosts' rw file",
    ]);
    expect(script).toContain('mount -o remount,bind,ro "$root"');
    expect(script).toContain("exec setpriv --reuid=1000 --regid=1000 --groups=1000,2000 --no-new-privs --inh-caps=-all,+sys_chroot --ambient-caps=-all,+sys_chroot --bounding-set=-all,+sys_chroot --pdeathsig=KILL -- unshare --root=. --wd='/home/app' -- \"$@\"");
  });
});

// ---------------------------------------------------------------------------------------------------
// Pods of several containers on the process kubelet: init containers, native sidecars, rootfs images.
// These run real processes: a kubelet of their own (node `sparkplane-process-node-pods`, no API
// forwarder, so it can run beside another suite's) and a tiny image built from this machine's
// programs (support/test-rootfs.ts).
// ---------------------------------------------------------------------------------------------------

describe('pods of several containers on the process kubelet', () => {
  const IMAGE = 'sparkplane-test:dev';
  /** An apache/spark image whose "distribution" is a folder with a RELEASE file: enough for pods that give a command. */
  const SPARK_IMAGE = 'apache/spark:0.0.0-test';
  let api: KubeApi;
  let kubelet: ProcessKubelet | undefined;
  let namespace: string;
  let imageDir: string;

  beforeAll(async () => {
    imageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkplane-rootfs-'));
    const image = buildTestRootfs(path.join(imageDir, 'rootfs'), {
      Entrypoint: ['sh', '-c'],
      Cmd: ['cat /etc/os-release; echo "uid $(id -u) gid $(id -g) in $PWD, GREETING=$GREETING"; if [ -e /work ] || [ -e /root/.cache ]; then echo host visible; fi'],
      Env: ['GREETING=from-image', 'PATH=/usr/local/bin:/usr/bin:/bin'],
      User: 'app',
      WorkingDir: '/home/app',
    });
    const sparkHome = path.join(imageDir, 'spark');
    fs.mkdirSync(path.join(sparkHome, 'work-dir'), { recursive: true }); // the image's WORKDIR
    fs.writeFileSync(path.join(sparkHome, 'RELEASE'), 'Spark 0.0.0-test\n');
    api = suiteKubeApi();
    kubelet = await ProcessKubelet.start({ api, images: { [IMAGE]: image, [SPARK_IMAGE]: sparkHome }, javaHome: '/nonexistent (no apache/spark image here)', nodeName: NODE, forwardApiServer: false });
    await waitUntil(async () => {
      const node = await api.get(`/api/v1/nodes/${NODE}`);
      return node.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');
    }, 60_000, `node ${NODE} Ready`);
    namespace = `sp-pods-${Date.now().toString(36)}`;
    await api.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    kubelet.ownNamespace(namespace);
  }, 120_000);

  afterAll(async () => {
    await kubelet?.stop();
    if (namespace) await api.delete(`/api/v1/namespaces/${namespace}`).catch(() => undefined);
    api?.close();
    if (imageDir) fs.rmSync(imageDir, { recursive: true, force: true });
  });

  const NODE = 'sparkplane-process-node-pods';
  const shared = { name: 'shared', emptyDir: {} };
  const mountShared = [{ name: 'shared', mountPath: '/shared' }];

  /** Creates the pod on the process node (bound directly: no scheduler in the way). */
  async function createPod(name: string, spec: Record<string, unknown>): Promise<void> {
    await api.create(`/api/v1/namespaces/${namespace}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { nodeName: NODE, restartPolicy: 'Never', terminationGracePeriodSeconds: 10, ...spec },
    });
  }

  const getPod = (name: string) => api.get(`/api/v1/namespaces/${namespace}/pods/${name}`);
  const waitPhase = (name: string, phases: string[], timeoutMs = 60_000) =>
    waitUntil(async () => {
      const pod = await getPod(name);
      return phases.includes(pod.status?.phase) ? pod : undefined;
    }, timeoutMs, `pod ${name} ${phases.join(' or ')}`);
  const logs = (pod: string, container: string) => api.request<string>('GET', `/api/v1/namespaces/${namespace}/pods/${pod}/log`, { query: { container } });
  const status = (pod: any, name: string) => [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])].find((s: any) => s.name === name);

  it('an init container writes into an emptyDir that the main container then reads; `kubectl logs -c` shows each', async () => {
    await createPod('init-writes', {
      volumes: [shared],
      initContainers: [{ name: 'install', image: IMAGE, command: ['sh', '-c', 'echo "written by install" > /shared/message; cp /etc/os-release /shared/; echo installed'], volumeMounts: mountShared }],
      containers: [{ name: 'main', image: IMAGE, command: ['sh', '-c', 'cat /shared/message; grep -q . /shared/os-release 2>/dev/null; ls /shared'], volumeMounts: mountShared }],
    });
    const pod = await waitPhase('init-writes', ['Succeeded', 'Failed']);
    expect(pod.status.phase).toBe('Succeeded');
    const install = status(pod, 'install');
    const main = status(pod, 'main');
    expect(install).toMatchObject({ ready: true, started: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
    expect(main).toMatchObject({ ready: false, started: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
    // In order: main started after install had finished.
    expect(Date.parse(main.state.terminated.startedAt)).toBeGreaterThanOrEqual(Date.parse(install.state.terminated.finishedAt));
    expect(pod.status.conditions).toEqual(expect.arrayContaining([
      expect.objectContaining({ type: 'Initialized', status: 'True' }),
      expect.objectContaining({ type: 'Ready', status: 'False', reason: 'PodCompleted' }),
    ]));
    expect(await logs('init-writes', 'main')).toBe('written by install\nmessage\nos-release\n');
    expect(await logs('init-writes', 'install')).toBe('installed\n');
  });

  it('a failing init container fails the pod (restartPolicy Never): its exit code in initContainerStatuses, nothing after it runs', async () => {
    await createPod('init-fails', {
      initContainers: [
        { name: 'fail', image: IMAGE, command: ['sh', '-c', 'echo failing; exit 3'] },
        { name: 'after', image: IMAGE, command: ['sh', '-c', 'echo should not run'] },
      ],
      containers: [{ name: 'main', image: IMAGE, command: ['sh', '-c', 'echo should not run'] }],
    });
    const pod = await waitPhase('init-fails', ['Succeeded', 'Failed']);
    expect(pod.status.phase).toBe('Failed');
    expect(status(pod, 'fail')).toMatchObject({ ready: false, restartCount: 0, state: { terminated: { exitCode: 3, reason: 'Error' } } });
    expect(status(pod, 'after')).toMatchObject({ ready: false, state: { waiting: { reason: 'PodInitializing' } } });
    expect(status(pod, 'main')).toMatchObject({ ready: false, state: { waiting: { reason: 'PodInitializing' } } });
    expect(pod.status.conditions).toEqual(expect.arrayContaining([
      expect.objectContaining({ type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [fail after]' }),
    ]));
    expect(kubelet!.logOf(namespace, 'init-fails', 'fail')).toBe('failing\n');
    expect(kubelet!.logOf(namespace, 'init-fails', 'after')).toBe('');
    expect(kubelet!.logOf(namespace, 'init-fails')).toBe('');
  });

  // The driver pod of issue 5: install-bridge and the allocator sidecar from a rootfs image, the driver from apache/spark.
  it('a native sidecar: the main container starts once it is started, it is restarted when it exits, stopped after the main container; the pod Succeeded', async () => {
    const port = await freePort();
    // The sidecar's server, which the install container copies into the shared volume (as install-bridge
    // copies a jar): answers on the port, says when it got SIGTERM; its first run exits (3) after 3 s,
    // while the main container runs.
    const serverJs = [
      "const http = require('http');",
      "const run = Number(require('fs').readFileSync('/shared/runs', 'utf8'));",
      "const server = http.createServer((q, r) => r.end('ok')).listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`run ${run} serving`));",
      "if (run === 1) setTimeout(() => { console.log('run 1 exits early'); process.exit(3); }, 3000);",
      "process.on('SIGTERM', () => { console.log(`got SIGTERM at ${Date.now()}`); server.close(); process.exit(0); });",
    ].join('\n');
    await createPod('sidecar', {
      volumes: [shared],
      initContainers: [
        { name: 'install-bridge', image: IMAGE, command: ['sh', '-c', 'printf "%s\\n" "$SERVER_JS" > /shared/server.js'], env: [{ name: 'SERVER_JS', value: serverJs }], volumeMounts: mountShared },
        {
          name: 'allocator',
          image: IMAGE,
          restartPolicy: 'Always',
          command: ['sh', '-c', 'n=$(( $(cat /shared/runs 2>/dev/null || echo 0) + 1 )); echo $n > /shared/runs; exec node /shared/server.js'],
          env: [{ name: 'PORT', value: String(port) }],
          ports: [{ name: 'http', containerPort: port }],
          volumeMounts: mountShared,
          startupProbe: { httpGet: { path: '/healthz', port }, periodSeconds: 1, failureThreshold: 30 },
          readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1 },
        },
      ],
      containers: [{
        name: 'driver',
        image: SPARK_IMAGE,
        command: ['bash', '-c', [
          'cat /opt/spark/RELEASE',
          `if (exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null; then echo "the sidecar answers at start"; fi`,
          'for ((i = 0; i < 150; i++)); do',
          `  if [ "$(cat /opt/sparkplane/shared/runs)" = 2 ] && (exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null; then break; fi`,
          '  sleep 0.2',
          'done',
          'echo "sidecar runs: $(cat /opt/sparkplane/shared/runs)"',
          'sleep 2',
          'echo "driver done at $(( ${EPOCHREALTIME/./} / 1000 ))"',
        ].join('\n')],
        // On the machine's root (apache/spark), a mount point needs an existing folder above it: not a new entry in /.
        volumeMounts: [{ name: 'shared', mountPath: '/opt/sparkplane/shared' }],
      }],
    });
    const seen: any[] = [];
    const pod = await waitUntil(async () => {
      const current = await getPod('sidecar');
      seen.push(current);
      return ['Succeeded', 'Failed'].includes(current.status?.phase) ? current : undefined;
    }, 90_000, 'pod sidecar Succeeded or Failed', 100);
    expect(pod.status.phase).toBe('Succeeded');

    // While the driver ran, the sidecar was running, started and ready, and the pod Running and Ready.
    const whileDriverRan = seen.filter((p) => status(p, 'driver')?.state?.running && status(p, 'allocator')?.state?.running);
    expect(whileDriverRan.length).toBeGreaterThan(0);
    expect(whileDriverRan.some((p) => status(p, 'allocator').ready && status(p, 'allocator').started
      && p.status.phase === 'Running' && p.status.conditions.some((c: any) => c.type === 'Ready' && c.status === 'True'))).toBe(true);
    // No terminal phase while the sidecar still ran.
    expect(seen.filter((p) => status(p, 'allocator')?.state?.running).every((p) => p.status.phase !== 'Succeeded')).toBe(true);

    // Restarted once: its first run's exit is its lastState; it ended on the kubelet's SIGTERM, after the driver.
    const allocator = status(pod, 'allocator');
    const driver = status(pod, 'driver');
    expect(allocator).toMatchObject({ restartCount: 1, ready: false, started: false, lastState: { terminated: { exitCode: 3, reason: 'Error' } }, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
    expect(driver).toMatchObject({ restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
    expect(status(pod, 'install-bridge')).toMatchObject({ state: { terminated: { exitCode: 0 } } });
    const driverLog = await logs('sidecar', 'driver');
    expect(driverLog).toMatch(/^Spark 0\.0\.0-test\nthe sidecar answers at start\n/); // started only after the sidecar's startup probe passed
    expect(driverLog).toContain('sidecar runs: 2\n');
    const allocatorLog = await logs('sidecar', 'allocator');
    expect(allocatorLog).toMatch(/^run 1 serving\nrun 1 exits early\nrun 2 serving\ngot SIGTERM at \d+\n$/);
    const driverDone = Number(/driver done at (\d+)/.exec(driverLog)![1]);
    const sigterm = Number(/got SIGTERM at (\d+)/.exec(allocatorLog)![1]);
    expect(sigterm).toBeGreaterThanOrEqual(driverDone);
    expect(Date.parse(allocator.state.terminated.finishedAt)).toBeGreaterThanOrEqual(Date.parse(driver.state.terminated.finishedAt));
    expect(kubelet!.livePids()).toEqual([]);
  });

  it('a pod from a rootfs image runs with the image as its root: its Entrypoint, Cmd, Env, User, WorkingDir; two containers together', async () => {
    await createPod('rootfs', {
      containers: [
        { name: 'defaults', image: IMAGE },
        {
          name: 'override',
          image: IMAGE,
          args: ['echo "uid $(id -u), GREETING=$GREETING, HOME=$HOME"; touch /made-here 2>/dev/null || echo "root is read-only"; touch /tmp/x && echo "/tmp is writable"'],
          env: [{ name: 'GREETING', value: 'from-pod' }],
          securityContext: { runAsUser: 2000, runAsGroup: 2000, readOnlyRootFilesystem: true },
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
        },
      ],
      volumes: [{ name: 'tmp', emptyDir: {} }],
    });
    const pod = await waitPhase('rootfs', ['Succeeded', 'Failed']);
    expect(pod.status.phase).toBe('Succeeded');
    expect(await logs('rootfs', 'defaults')).toBe(`NAME=${TEST_ROOTFS_OS_NAME}\nID=sparkplane-test\nuid 1000 gid 1000 in /home/app, GREETING=from-image\n`);
    expect(await logs('rootfs', 'override')).toBe('uid 2000, GREETING=from-pod, HOME=/\nroot is read-only\n/tmp is writable\n');
    const [defaults, override] = pod.status.containerStatuses;
    expect(Math.abs(Date.parse(defaults.state.terminated.startedAt) - Date.parse(override.state.terminated.startedAt))).toBeLessThan(2000);
  });

  it('deleting a pod stops its regular containers first, then its sidecar; then it is gone', async () => {
    await createPod('deleted', {
      initContainers: [{
        name: 'sidecar', image: IMAGE, restartPolicy: 'Always',
        command: ['bash', '-c', 'trap \'echo "sidecar got TERM at $(( ${EPOCHREALTIME/./} / 1000 ))"; exit 0\' TERM; while true; do sleep 0.1; done'],
      }],
      containers: [{ name: 'main', image: IMAGE, command: ['bash', '-c', 'trap \'sleep 1; echo "main exits at $(( ${EPOCHREALTIME/./} / 1000 ))"; exit 0\' TERM; echo running; while true; do sleep 0.1; done'] }],
    });
    await waitUntil(async () => status(await getPod('deleted'), 'main')?.state?.running, 60_000, 'main running');
    await api.delete(`/api/v1/namespaces/${namespace}/pods/deleted`);
    await waitUntil(async () => !(await api.getIfExists(`/api/v1/namespaces/${namespace}/pods/deleted`)), 60_000, 'pod deleted gone');
    const mainExit = Number(/main exits at (\d+)/.exec(kubelet!.logOf(namespace, 'deleted', 'main'))![1]);
    const sidecarTerm = Number(/sidecar got TERM at (\d+)/.exec(kubelet!.logOf(namespace, 'deleted', 'sidecar'))![1]);
    expect(sidecarTerm).toBeGreaterThanOrEqual(mainExit);
    expect(kubelet!.livePids()).toEqual([]);
  });
});

/** A TCP port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
