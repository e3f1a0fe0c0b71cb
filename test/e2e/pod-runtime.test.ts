// The process kubelet computes what a kubelet computes: these pin its $(VAR) expansion to
// Kubernetes' own (the cases of k8s.io/kubernetes v1.36.3
// third_party/forked/golang/expansion/expand_test.go), its environment to the kubelet's order and
// sources, its capabilities to what a container adds, its node-affinity matching to Kubernetes' rules,
// and check that the isolation script is valid bash.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import { freeLoopbackPort } from '../support/free-port';
import * as os from 'os';
import * as path from 'path';
import type { KubeObj } from '../integration/support/kube';
import { KubeApi, suiteKubeApi } from './support/kube-api';
import { containerEnv, expandKubeVars, grantedCapabilities, hostsFile, matchesNodeSelectorTerms, podField, podStartScript, rootfsStartScript, type KeyReader } from './support/pod-runtime';
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

describe('capabilities', () => {
  it('a uid-0 container gets exactly what it adds (CAP_ prefix or not); a non-root one gets none', () => {
    const capabilities = { drop: ['ALL'], add: ['CHOWN', 'CAP_FOWNER', 'chown'] };
    expect(grantedCapabilities(capabilities, 0)).toEqual(['chown', 'fowner']);
    expect(grantedCapabilities(capabilities, 185)).toEqual([]);
    expect(grantedCapabilities(undefined, 0)).toEqual([]);
  });

  it('refuses what would act on the machine that every pod shares', () => {
    expect(() => grantedCapabilities({ add: ['SYS_ADMIN'] }, 0)).toThrow(/SYS_ADMIN is not granted by the process kubelet .* it grants CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, FSETID, SETGID, SETUID, NET_BIND_SERVICE/);
    expect(() => grantedCapabilities({ add: ['ALL'] }, 0)).toThrow('ALL is not granted');
  });

  it('the isolation scripts grant them inheritable, ambient and bounding (a rootfs container keeps SYS_CHROOT too)', () => {
    const common = { mounts: [], scratchDir: '/x/scratch', hostname: 'p', workingDir: '/', uid: 0, gid: 0, groups: [0], readOnlyRootFilesystem: false, capabilities: ['chown', 'fowner'] };
    expect(podStartScript(common)).toContain('--no-new-privs --inh-caps=-all,+chown,+fowner --ambient-caps=-all,+chown,+fowner --bounding-set=-all,+chown,+fowner --pdeathsig=KILL');
    expect(rootfsStartScript({ ...common, rootfs: '/x/rootfs' })).toContain(
      '--no-new-privs --inh-caps=-all,+sys_chroot,+chown,+fowner --ambient-caps=-all,+sys_chroot,+chown,+fowner --bounding-set=-all,+sys_chroot,+chown,+fowner --pdeathsig=KILL',
    );
  });
});

describe('a PersistentVolume\'s node affinity', () => {
  const labels = { 'kubernetes.io/hostname': 'node-a', zone: 'z1', disks: '4' };
  const matches = (...terms: Parameters<typeof matchesNodeSelectorTerms>[0]) => matchesNodeSelectorTerms(terms, labels, 'node-a');

  it('admits the node when any one term matches, every requirement of that term holding', () => {
    expect(matches({ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-b'] }] }, { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1', 'z2'] }] })).toBe(true);
    expect(matches({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }, { key: 'kubernetes.io/hostname', operator: 'NotIn', values: ['node-a'] }] })).toBe(false);
    expect(matches({ matchExpressions: [{ key: 'ssd', operator: 'DoesNotExist' }, { key: 'zone', operator: 'Exists' }, { key: 'disks', operator: 'Gt', values: ['3'] }, { key: 'disks', operator: 'Lt', values: ['5'] }] })).toBe(true);
    expect(matches({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-a'] }] })).toBe(true);
    expect(matches({ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['node-a'] }] })).toBe(false);
  });

  it('an empty term, or one with an invalid requirement, matches nothing', () => {
    expect(matches({})).toBe(false);
    expect(matches({ matchExpressions: [{ key: 'zone', operator: 'In', values: [] }] })).toBe(false);
    expect(matches({ matchExpressions: [{ key: 'disks', operator: 'Gt', values: ['many'] }] })).toBe(false);
    expect(matches({ matchFields: [{ key: 'metadata.uid', operator: 'In', values: ['x'] }] })).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------
// Pods of several containers on the process kubelet: init containers, native sidecars, rootfs images.
// These run real processes: a kubelet of their own (node `sparkplane-process-node-pods`, no API
// forwarder, so it can run beside another suite's; hostPath volumes under its own host root) and a
// tiny image built from this machine's programs (support/test-rootfs.ts).
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
    // Privileged: the shuffle-service pods use hostPath and hostNetwork, which "baseline" refuses.
    await api.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } });
    kubelet.ownNamespace(namespace);
  }, 120_000);

  afterAll(async () => {
    await kubelet?.stop();
    if (namespace) await api.delete(`/api/v1/namespaces/${namespace}`).catch(() => undefined);
    // Released once the namespace's claims are gone (then their pv-protection finalizer goes).
    for (const name of persistentVolumes) await api.delete(`/api/v1/persistentvolumes/${name}`).catch(() => undefined);
    api?.close();
    if (imageDir) fs.rmSync(imageDir, { recursive: true, force: true });
  });

  const NODE = 'sparkplane-process-node-pods';
  const persistentVolumes: string[] = [];
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
    const port = await freeLoopbackPort();
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
        command: ['bash', '-c', 'trap \'echo "sidecar got TERM at $(( ${EPOCHREALTIME/./} / 1000 ))"; exit 0\' TERM; echo running; while true; do sleep 0.1; done'],
      }],
      containers: [{ name: 'main', image: IMAGE, command: ['bash', '-c', 'trap \'sleep 1; echo "main exits at $(( ${EPOCHREALTIME/./} / 1000 ))"; exit 0\' TERM; echo running; while true; do sleep 0.1; done'] }],
    });
    // "running" once its trap is set: a SIGTERM before that would end bash at once.
    await waitUntil(async () => ['sidecar', 'main'].every((c) => kubelet!.logOf(namespace, 'deleted', c).startsWith('running\n')), 60_000, 'main and sidecar running');
    await api.delete(`/api/v1/namespaces/${namespace}/pods/deleted`);
    await waitUntil(async () => !(await api.getIfExists(`/api/v1/namespaces/${namespace}/pods/deleted`)), 60_000, 'pod deleted gone');
    const mainExit = Number(/main exits at (\d+)/.exec(kubelet!.logOf(namespace, 'deleted', 'main'))![1]);
    const sidecarTerm = Number(/sidecar got TERM at (\d+)/.exec(kubelet!.logOf(namespace, 'deleted', 'sidecar'))![1]);
    expect(sidecarTerm).toBeGreaterThanOrEqual(mainExit);
    expect(kubelet!.livePids()).toEqual([]);
  });

  it('a uid-0 container has exactly the capabilities it adds: with CHOWN it chowns to 185, without it gets EPERM', async () => {
    const tryChown = (dir: string) => `mkdir /opt/sparkplane/scratch/${dir}; echo "uid $(id -u) gid $(id -g) $(grep CapEff /proc/self/status)"; chown 185:185 /opt/sparkplane/scratch/${dir} 2>&1 && stat -c 'owner %u:%g' /opt/sparkplane/scratch/${dir}`;
    await createPod('capabilities', {
      volumes: [{ name: 'scratch', emptyDir: {} }],
      containers: ['with-chown', 'without'].map((name) => ({
        name,
        image: SPARK_IMAGE,
        command: ['bash', '-c', tryChown(name)],
        securityContext: { runAsUser: 0, runAsNonRoot: false, capabilities: { drop: ['ALL'], ...(name === 'with-chown' ? { add: ['CHOWN'] } : {}) } },
        volumeMounts: [{ name: 'scratch', mountPath: '/opt/sparkplane/scratch' }],
      })),
    });
    const pod = await waitPhase('capabilities', ['Succeeded', 'Failed']);
    expect(await logs('capabilities', 'with-chown')).toBe('uid 0 gid 0 CapEff:\t0000000000000001\nowner 185:185\n');
    expect(await logs('capabilities', 'without')).toBe(
      "uid 0 gid 0 CapEff:\t0000000000000000\nchown: changing ownership of '/opt/sparkplane/scratch/without': Operation not permitted\n",
    );
    expect(status(pod, 'without')).toMatchObject({ state: { terminated: { exitCode: 1 } } });
  });

  // The external shuffle service (issue 6): a DaemonSet prepares the node's folder, executors use it.
  const SHUFFLE = '/var/lib/sparkplane/shuffle';
  const APPS = `${SHUFFLE}/apps`;

  it('a shuffle-service DaemonSet prepares a hostPath folder for uid 185; a hostNetwork executor waits for it, then reads what the service wrote; the files outlive both pods', async () => {
    // The executor first: its hostPath Directory is not there yet.
    await createPod('executor', {
      hostNetwork: true,
      dnsPolicy: 'ClusterFirstWithHostNet',
      hostname: 'spark-exec-1',
      volumes: [{ name: 'apps', hostPath: { path: APPS, type: 'Directory' } }],
      containers: [{
        name: 'executor',
        image: IMAGE,
        command: ['bash', '-c', [
          `for ((i = 0; i < 100; i++)); do [ -e ${APPS}/from-service ] && break; sleep 0.1; done`,
          `cat ${APPS}/from-service`,
          'echo "host name $(cat /proc/sys/kernel/hostname), HOSTNAME=$HOSTNAME, pod IP $POD_IP"',
          `echo "written by the executor" > ${APPS}/from-executor`,
        ].join('\n')],
        env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
        securityContext: { runAsUser: 185, runAsGroup: 185 },
        volumeMounts: [{ name: 'apps', mountPath: APPS }],
      }],
    });
    const waiting = await waitUntil(async () => {
      const pod = await getPod('executor');
      return status(pod, 'executor')?.state?.waiting?.message ? pod : undefined;
    }, 30_000, 'executor waiting for its hostPath');
    expect(status(waiting, 'executor').state.waiting).toEqual({
      reason: 'ContainerCreating',
      message: `MountVolume.SetUp failed for volume "apps" : hostPath type check failed: ${APPS} is not a directory`,
    });
    expect(waiting.status).toMatchObject({ phase: 'Pending', hostIP: '127.0.0.1', podIP: '127.0.0.1' }); // hostNetwork: the node's IP at once

    // The DaemonSet, as issue 6 renders it: scheduled onto this node only (a real DaemonSet, placed by the scheduler).
    const labels = { app: 'shuffle-service' };
    await api.create(`/apis/apps/v1/namespaces/${namespace}/daemonsets`, {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'shuffle-service' },
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            nodeSelector: { 'kubernetes.io/hostname': NODE },
            hostNetwork: true,
            dnsPolicy: 'ClusterFirstWithHostNet',
            terminationGracePeriodSeconds: 2,
            volumes: [{ name: 'shuffle', hostPath: { path: SHUFFLE, type: 'DirectoryOrCreate' } }],
            initContainers: [{
              name: 'prepare',
              image: SPARK_IMAGE,
              command: ['bash', '-c', `install -d -o 185 -g 185 -m 0700 ${SHUFFLE}/apps.new && mv -T ${SHUFFLE}/apps.new ${APPS} && chown 185:185 ${APPS} && echo prepared`],
              securityContext: { runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['CHOWN', 'FOWNER'] } },
              volumeMounts: [{ name: 'shuffle', mountPath: SHUFFLE }],
            }],
            containers: [{
              name: 'service',
              image: SPARK_IMAGE,
              command: ['bash', '-c', `echo "written by the service" > ${APPS}/from-service; echo "uid $(id -u) on $(cat /proc/sys/kernel/hostname)"; exec sleep 3600`],
              // A subPath, made when the container starts: a hostPath Directory volume of its own would wait for ever (see below).
              volumeMounts: [{ name: 'shuffle', mountPath: APPS, subPath: 'apps' }],
            }],
          },
        },
      },
    });
    const executor = await waitPhase('executor', ['Succeeded', 'Failed']);
    expect(executor.status.phase).toBe('Succeeded');
    expect(await logs('executor', 'executor')).toBe(`written by the service\nhost name ${NODE}, HOSTNAME=${NODE}, pod IP 127.0.0.1\n`);

    const [service] = await api.pods({ namespace, labelSelector: 'app=shuffle-service' });
    expect(service.spec).toMatchObject({ nodeName: NODE, restartPolicy: 'Always' });
    await waitUntil(async () => status(await getPod(service.metadata.name), 'service')?.state?.running, 30_000, 'the shuffle service running');
    expect(await logs(service.metadata.name, 'prepare')).toBe('prepared\n');
    expect(await logs(service.metadata.name, 'service')).toBe(`uid 185 on ${NODE}\n`);

    // Both pods gone; the node's folder stays, as the init container left it, with both pods' files.
    await api.delete(`/apis/apps/v1/namespaces/${namespace}/daemonsets/shuffle-service`);
    await api.delete(`/api/v1/namespaces/${namespace}/pods/executor`);
    await waitUntil(async () => (await api.pods({ namespace, labelSelector: 'app=shuffle-service' })).length === 0 && !(await api.getIfExists(`/api/v1/namespaces/${namespace}/pods/executor`)), 60_000, 'both pods gone');
    const apps = fs.statSync(kubelet!.hostPathDir(APPS));
    expect({ uid: apps.uid, gid: apps.gid, mode: apps.mode & 0o7777 }).toEqual({ uid: 185, gid: 185, mode: 0o700 });
    expect(fs.statSync(kubelet!.hostPathDir(SHUFFLE)).mode & 0o7777).toBe(0o755);
    expect(fs.readFileSync(kubelet!.hostPathDir(`${APPS}/from-service`), 'utf8')).toBe('written by the service\n');
    expect(fs.statSync(kubelet!.hostPathDir(`${APPS}/from-executor`)).uid).toBe(185);
    expect(kubelet!.hostPathDir(APPS)).toBe(path.join(kubelet!.hostPathRoot, 'var/lib/sparkplane/shuffle/apps'));
    expect(fs.existsSync('/var/lib/sparkplane')).toBe(false); // nothing on the machine's own /var
  });

  it('every volume is set up before the first container: a hostPath Directory that only the pod\'s own init container would make keeps it waiting', async () => {
    await createPod('waits-for-itself', {
      volumes: [{ name: 'root', hostPath: { path: '/var/lib/sparkplane/self', type: 'DirectoryOrCreate' } }, { name: 'made-by-init', hostPath: { path: '/var/lib/sparkplane/self/made', type: 'Directory' } }],
      initContainers: [{ name: 'make', image: IMAGE, command: ['mkdir', '/root-volume/made'], volumeMounts: [{ name: 'root', mountPath: '/root-volume' }] }],
      containers: [{ name: 'main', image: IMAGE, command: ['ls', '/made'], volumeMounts: [{ name: 'made-by-init', mountPath: '/made' }] }],
    });
    const pod = await waitUntil(async () => {
      const current = await getPod('waits-for-itself');
      return status(current, 'make')?.state?.waiting?.message ? current : undefined;
    }, 30_000, 'waits-for-itself waiting');
    expect(status(pod, 'make').state.waiting.message).toContain('/var/lib/sparkplane/self/made is not a directory');
    expect(pod.status.phase).toBe('Pending');
    expect(kubelet!.records().find((r) => r.name === 'waits-for-itself')!.containers[0].startedAt).toBeUndefined();
    await api.delete(`/api/v1/namespaces/${namespace}/pods/waits-for-itself`);
    await waitUntil(async () => !(await api.getIfExists(`/api/v1/namespaces/${namespace}/pods/waits-for-itself`)), 30_000, 'waits-for-itself gone');
  });

  it('refuses a hostPath type it does not model, naming the ones it does', async () => {
    await createPod('socket', {
      volumes: [{ name: 'sock', hostPath: { path: '/run/some.sock', type: 'Socket' } }],
      containers: [{ name: 'main', image: IMAGE, command: ['true'], volumeMounts: [{ name: 'sock', mountPath: '/sock' }] }],
    });
    const pod = await waitUntil(async () => {
      const current = await getPod('socket');
      return status(current, 'main')?.state?.waiting?.message ? current : undefined;
    }, 30_000, 'socket waiting');
    expect(status(pod, 'main').state.waiting).toEqual({
      reason: 'CreateContainerConfigError',
      message: 'volume sock: hostPath type Socket is not supported by the process kubelet ("", Directory, DirectoryOrCreate, File, FileOrCreate are)',
    });
    await api.delete(`/api/v1/namespaces/${namespace}/pods/socket`);
    await waitUntil(async () => !(await api.getIfExists(`/api/v1/namespaces/${namespace}/pods/socket`)), 30_000, 'socket gone');
  });

  // PersistentVolumeClaims: bound by the cluster's own PV controller (kube-controller-manager), mounted
  // by the kubelet from the PersistentVolume's hostPath or local path under its host root.

  /**
   * A PersistentVolume of 1Gi, ReadWriteOnce, Retain (cluster-wide: named after the namespace, deleted
   * after it), once the PV controller has seen it (it marks it Available): a claim that comes before
   * would be matched only at the controller's next periodic sync.
   */
  async function createPersistentVolume(name: string, spec: Record<string, unknown>): Promise<string> {
    const fullName = `${namespace}-${name}`;
    await api.create('/api/v1/persistentvolumes', {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: fullName },
      spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', storageClassName: '', ...spec },
    });
    persistentVolumes.push(fullName);
    kubelet!.ownPersistentVolume(fullName);
    await waitUntil(async () => (await api.get(`/api/v1/persistentvolumes/${fullName}`)).status?.phase === 'Available', 30_000, `PersistentVolume ${fullName} Available`);
    return fullName;
  }

  async function createClaim(name: string, storageClassName = ''): Promise<void> {
    await api.create(`/api/v1/namespaces/${namespace}/persistentvolumeclaims`, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName, resources: { requests: { storage: '1Gi' } } },
    });
  }

  const claimPath = (name: string) => `/api/v1/namespaces/${namespace}/persistentvolumeclaims/${name}`;
  const waitBound = (claim: string) =>
    waitUntil(async () => {
      const current = await api.get(claimPath(claim));
      return current.status?.phase === 'Bound' ? current : undefined;
    }, 30_000, `claim ${claim} Bound`);
  /** The pod's first container's waiting state, once it has a message other than `previous`. */
  const waitingOf = (name: string, previous?: string) =>
    waitUntil(async () => {
      const current = await getPod(name);
      const waiting = current.status?.containerStatuses?.[0]?.state?.waiting;
      return waiting?.message && waiting.message !== previous ? waiting : undefined;
    }, 30_000, `pod ${name} waiting${previous ? ` for something other than: ${previous}` : ''}`);
  const deletePod = async (name: string) => {
    await api.delete(`/api/v1/namespaces/${namespace}/pods/${name}`);
    await waitUntil(async () => !(await api.getIfExists(`/api/v1/namespaces/${namespace}/pods/${name}`)), 30_000, `pod ${name} gone`);
  };
  /** The pods of these tests run as a non-root user of their own, as the sparkplane image does. */
  const NONROOT = { runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, runAsNonRoot: true };

  it('a claim bound by the PV controller to a hostPath PersistentVolume: a pod created first waits for it, then writes as uid 65532; the next pod on the claim reads it; the files stay on the node', async () => {
    const DATA = '/srv/sparkplane/claims/data';
    // As an admin prepares a hostPath PV for a non-root workload: the folder made and owned by that user (the kubelet changes no ownership on hostPath).
    const folder = kubelet!.hostPathDir(DATA);
    fs.mkdirSync(folder, { recursive: true });
    fs.chownSync(folder, 65532, 65532);
    fs.chmodSync(folder, 0o750);
    const usingClaim = (readOnly: boolean, script: string) => ({
      securityContext: NONROOT,
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data', readOnly } }],
      containers: [{ name: 'main', image: IMAGE, command: ['bash', '-c', script], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
    });

    // The pod before its claim: it waits, in the kubelet's words.
    await createPod('claim-writer', usingClaim(false, 'echo "written by uid $(id -u)" > /data/result && ls /data'));
    const notFound = await waitingOf('claim-writer');
    expect(notFound).toEqual({
      reason: 'ContainerCreating',
      message: `error processing PVC ${namespace}/data: failed to fetch PVC from API server: persistentvolumeclaims "data" not found`,
    });
    // The claim, with no volume to bind yet: Pending, and the pod waits for it to be bound.
    await createClaim('data');
    expect(await waitingOf('claim-writer', notFound.message)).toEqual({ reason: 'ContainerCreating', message: `error processing PVC ${namespace}/data: PVC is not bound` });
    expect((await api.get(claimPath('data'))).status.phase).toBe('Pending');
    expect((await getPod('claim-writer')).status.phase).toBe('Pending');

    // The PersistentVolume. The PV controller binds a claim when it syncs it: at once when the claim
    // changes, else every 15 s (--pvclaimbinder-sync-period); a new PV alone does not make it look.
    const pv = await createPersistentVolume('data', { hostPath: { path: DATA, type: 'DirectoryOrCreate' } });
    await api.patch(claimPath('data'), { metadata: { labels: { 'sparkplane.dev/test': 'bind-now' } } });
    const claim = await waitBound('data');
    expect(claim.spec.volumeName).toBe(pv);
    expect(claim.metadata.annotations).toMatchObject({ 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' });
    expect((await api.get(`/api/v1/persistentvolumes/${pv}`)).spec.claimRef).toMatchObject({ namespace, name: 'data', uid: claim.metadata.uid });

    const writer = await waitPhase('claim-writer', ['Succeeded', 'Failed']);
    expect(writer.status.phase).toBe('Succeeded');
    expect(await logs('claim-writer', 'main')).toBe('result\n');
    await deletePod('claim-writer');

    // The next pod on the claim (read-only: `persistentVolumeClaim.readOnly`) sees the file and cannot write, though it owns the folder.
    await createPod('claim-reader', usingClaim(true, 'cat /data/result; touch /data/more 2>&1; echo "touch: $?"'));
    const reader = await waitPhase('claim-reader', ['Succeeded', 'Failed']);
    expect(reader.status.phase).toBe('Succeeded');
    expect(await logs('claim-reader', 'main')).toBe("written by uid 65532\ntouch: cannot touch '/data/more': Read-only file system\ntouch: 1\n");
    await deletePod('claim-reader');

    // On the node, after both pods: the file, the writer's; the folder as the admin made it (no fsGroup, no setgid).
    const result = fs.statSync(path.join(folder, 'result'));
    expect({ uid: result.uid, gid: result.gid, text: fs.readFileSync(path.join(folder, 'result'), 'utf8') }).toEqual({ uid: 65532, gid: 65532, text: 'written by uid 65532\n' });
    const after = fs.statSync(folder);
    expect({ uid: after.uid, gid: after.gid, mode: after.mode & 0o7777 }).toEqual({ uid: 65532, gid: 65532, mode: 0o750 });
    expect(fs.readdirSync(folder)).toEqual(['result']);
  });

  it('a local PersistentVolume gets the pod\'s fsGroup, as the kubelet manages its ownership: a root-owned folder becomes the non-root pod\'s to write', async () => {
    const DISK = '/mnt/disks/ssd1';
    // As an admin prepares a local PV: root's folder, with what is already on the disk.
    const folder = kubelet!.hostPathDir(DISK);
    fs.mkdirSync(folder, { recursive: true, mode: 0o755 });
    fs.writeFileSync(path.join(folder, 'earlier'), 'on the disk before\n', { mode: 0o644 });
    // The volume first, then the claim: the controller matches them (storage class, size, access mode) as the claim is created.
    const pv = await createPersistentVolume('local', {
      storageClassName: 'sparkplane-manual',
      local: { path: DISK },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [NODE] }] }] } },
    });
    await createClaim('local', 'sparkplane-manual');
    expect((await waitBound('local')).spec.volumeName).toBe(pv);

    await createPod('local-writer', {
      securityContext: { ...NONROOT, fsGroup: 2000 }, // a group of its own: only the fsGroup lets it write
      volumes: [{ name: 'disk', persistentVolumeClaim: { claimName: 'local' } }],
      containers: [{ name: 'main', image: IMAGE, command: ['bash', '-c', 'echo "written by uid $(id -u)" > /disk/result && cat /disk/earlier && echo appended >> /disk/earlier && echo done'], volumeMounts: [{ name: 'disk', mountPath: '/disk' }] }],
    });
    const pod = await waitPhase('local-writer', ['Succeeded', 'Failed']);
    expect(await logs('local-writer', 'main')).toBe('on the disk before\ndone\n');
    expect(pod.status.phase).toBe('Succeeded');
    await deletePod('local-writer');

    const owner = (file: string) => {
      const stat = fs.statSync(path.join(folder, file));
      return { uid: stat.uid, gid: stat.gid, mode: stat.mode & 0o7777 };
    };
    expect(owner('.')).toEqual({ uid: 0, gid: 2000, mode: 0o2775 }); // group rwx and setgid added
    expect(owner('earlier')).toEqual({ uid: 0, gid: 2000, mode: 0o664 }); // group rw added, owner kept
    expect(owner('result')).toEqual({ uid: 65532, gid: 2000, mode: 0o644 }); // the folder's group (setgid), not the pod's own
  });

  it('a PersistentVolume\'s pv.beta.kubernetes.io/gid joins every container\'s groups: a non-root pod writes into the admin\'s group-writable hostPath folder', async () => {
    const SHARED = '/srv/sparkplane/claims/shared';
    const folder = kubelet!.hostPathDir(SHARED);
    fs.mkdirSync(folder, { recursive: true });
    fs.chownSync(folder, 0, 3000);
    fs.chmodSync(folder, 0o770);
    const pv = await createPersistentVolume('shared', { hostPath: { path: SHARED, type: 'Directory' }, claimRef: { namespace, name: 'shared' } });
    await api.patch(`/api/v1/persistentvolumes/${pv}`, { metadata: { annotations: { 'pv.beta.kubernetes.io/gid': '3000' } } });
    await createClaim('shared');
    await waitBound('shared');
    await createPod('group-writer', {
      securityContext: { runAsUser: 65532, runAsGroup: 65532, runAsNonRoot: true },
      volumes: [{ name: 'shared', persistentVolumeClaim: { claimName: 'shared' } }],
      containers: [{ name: 'main', image: IMAGE, command: ['bash', '-c', 'id -G; echo hello > /shared/note && echo written'], volumeMounts: [{ name: 'shared', mountPath: '/shared' }] }],
    });
    const pod = await waitPhase('group-writer', ['Succeeded', 'Failed']);
    expect(await logs('group-writer', 'main')).toBe('65532 3000\nwritten\n');
    expect(pod.status.phase).toBe('Succeeded');
    expect(fs.statSync(path.join(folder, 'note')).gid).toBe(65532);
    await deletePod('group-writer');
  });

  it('refuses a claim whose PersistentVolume it cannot mount here (nfs), and waits on a local one pinned to another node', async () => {
    // Pre-bound (claimRef) by the admin; the controller completes the binding when the claim comes.
    const nfs = await createPersistentVolume('remote', { nfs: { server: 'nfs.example.com', path: '/exports/data' }, claimRef: { namespace, name: 'remote' } });
    const elsewhere = await createPersistentVolume('elsewhere', {
      local: { path: '/mnt/disks/ssd1' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['another-node'] }] }] } },
      claimRef: { namespace, name: 'elsewhere' },
    });
    await createClaim('remote');
    await createClaim('elsewhere');
    expect((await waitBound('remote')).spec.volumeName).toBe(nfs);
    expect((await waitBound('elsewhere')).spec.volumeName).toBe(elsewhere);
    for (const claim of ['remote', 'elsewhere']) {
      await createPod(`on-${claim}`, {
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }],
        containers: [{ name: 'main', image: IMAGE, command: ['true'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
      });
    }
    expect(await waitingOf('on-remote')).toEqual({
      reason: 'CreateContainerConfigError',
      message: `volume data: PersistentVolume "${nfs}" (claim remote) is backed by nfs, which the process kubelet cannot mount (hostPath and local PersistentVolumes it can)`,
    });
    expect(await waitingOf('on-elsewhere')).toEqual({ reason: 'ContainerCreating', message: `MountVolume.NodeAffinity check failed for volume "${elsewhere}" : no matching NodeSelectorTerms` });
    await deletePod('on-remote');
    await deletePod('on-elsewhere');
  });
});
