// The process kubelet computes what a kubelet computes: these pin its $(VAR) expansion to
// Kubernetes' own (the cases of k8s.io/kubernetes v1.36.3
// third_party/forked/golang/expansion/expand_test.go), its environment to the kubelet's order and
// sources, and check that the isolation script is valid bash.
import { spawnSync } from 'child_process';
import type { KubeObj } from '../integration/support/kube';
import { containerEnv, expandKubeVars, hostsFile, podField, podStartScript, type KeyReader } from './support/pod-runtime';

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
