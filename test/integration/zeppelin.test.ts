// Zeppelin (issue 8) on the real control plane: strict server-side apply into a namespace enforcing
// Pod Security "restricted", the server's pod admitted and running; RBAC asked of the API server
// for both ServiceAccounts; and the interpreter template rendered by Zeppelin's own engine (Jinjava
// 2.5.4, with the launcher's bindings) and created *as the server's ServiceAccount*, which proves at
// once that the API server accepts the objects, "restricted" admits the pod and the server's Role
// allows exactly what the launcher does. Deleting the server pod then garbage-collects them.
import { renderZeppelin, type ZeppelinSpec } from '../../lib/core';
import { accessOf } from './support/access-review';
import { apply, createRestrictedNamespace, deleteNamespace, getObject, kubectl, kubectlDocuments, list, manifestStream, waitFor, type KubeObj } from './support/kube';
import { executorPod, RenderedApplication } from './support/spark';
import { launcherBindings, renderLikeTheLauncher, type InterpreterLaunch } from './support/zeppelin-launcher';

describe('Zeppelin on the real control plane', () => {
  let namespace: string;
  let spec: ZeppelinSpec;
  let objects: KubeObj[];
  let warnings: string[];
  const configMap = (name: string) => objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name)!;
  const asServer = () => `--as=system:serviceaccount:${namespace}:notebooks-server`;

  beforeAll(async () => {
    namespace = await createRestrictedNamespace('sp-zeppelin-it');
    spec = {
      name: 'notebooks',
      namespace,
      sparkplaneImage: 'sparkplane:e2e',
      auth: { users: { secretName: 'zeppelin-users', key: 'users' } },
      spark: { sparkVersion: '4.0.5', executor: { memory: '2g' }, dynamicAllocation: { maxExecutors: 4 } },
      nodeSelector: { 'sparkplane.dev/kwok-node': 'true' },
    };
    objects = renderZeppelin(spec) as KubeObj[];
    // No storage provisioner in the harness: a PersistentVolume for the claim, as an administrator would make.
    kubectl(['create', '-f', '-'], { input: {
      apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: `${namespace}-zeppelin` },
      spec: { capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: '', hostPath: { path: '/var/lib/zeppelin' }, claimRef: { namespace, name: 'notebooks-data' } },
    } });
    kubectl(['-n', namespace, 'create', 'secret', 'generic', 'zeppelin-users', '--from-literal=users=alice = secret, admin']);
    warnings = apply(objects, { namespace }).stderr.split('\n').filter((line) => /warning/i.test(line));
  }, 120_000);

  afterAll(() => {
    deleteNamespace(namespace);
    kubectl(['delete', 'persistentvolume', `${namespace}-zeppelin`, '--wait=false', '--ignore-not-found'], { allowFailure: true });
  });

  it('is accepted by strict server-side apply in a "restricted" namespace, with no warning', () => {
    expect(warnings).toEqual([]);
    for (const object of objects) expect(`${object.kind}/${object.metadata.name}: ${getObject(object.kind, object.metadata.name, namespace) ? 'stored' : 'missing'}`).toBe(`${object.kind}/${object.metadata.name}: stored`);
  });

  it('runs the server pod under "restricted" on its bound claim', async () => {
    const pod = await waitFor(() => list('pods', namespace, 'app.kubernetes.io/component=server').find((p) => p.status?.phase === 'Running'), 60_000, 'the Zeppelin server pod Running');
    expect(pod.spec.serviceAccountName).toBe('notebooks-server');
    expect(getObject('PersistentVolumeClaim', 'notebooks-data', namespace)!.status.phase).toBe('Bound');
  });

  it('lets the server create, read, watch and delete interpreter pods and Services, and nothing else', () => {
    const { actual, expected } = accessOf(namespace, 'notebooks-server', [
      ...['create', 'get', 'watch', 'delete'].map((verb) => ({ verb, resource: 'pods', namespace, expected: 'allowed' as const })),
      ...['create', 'get', 'delete'].map((verb) => ({ verb, resource: 'services', namespace, expected: 'allowed' as const })),
      ...['list', 'update', 'patch', 'deletecollection'].map((verb) => ({ verb, resource: 'pods', namespace, expected: 'denied' as const })),
      ...['list', 'update', 'patch'].map((verb) => ({ verb, resource: 'services', namespace, expected: 'denied' as const })),
      { verb: 'create', resource: 'pods', subresource: 'exec', namespace, expected: 'denied' },
      { verb: 'create', resource: 'pods', subresource: 'portforward', namespace, expected: 'denied' },
      { verb: 'get', resource: 'secrets', name: 'zeppelin-users', namespace, expected: 'denied' },
      { verb: 'create', resource: 'configmaps', namespace, expected: 'denied' },
      { verb: 'create', resource: 'roles', namespace, expected: 'denied' },
      { verb: 'create', resource: 'rolebindings', namespace, expected: 'denied' },
      { verb: 'create', resource: 'pods', namespace: 'default', expected: 'denied' },
      { verb: 'list', resource: 'pods', namespace: '', expected: 'denied' },
      { verb: 'list', resource: 'namespaces', namespace: '', expected: 'denied' },
      { verb: 'get', resource: 'nodes', namespace: '', expected: 'denied' },
    ]);
    expect(actual).toEqual(expected);
  });

  it('lets the interpreter create and manage executor pods, and nothing on Secrets or beyond its namespace', () => {
    const { actual, expected } = accessOf(namespace, 'notebooks-interpreter', [
      ...['create', 'get', 'list', 'watch', 'delete', 'deletecollection'].map((verb) => ({ verb, resource: 'pods', namespace, expected: 'allowed' as const })),
      { verb: 'create', resource: 'configmaps', namespace, expected: 'allowed' },
      { verb: 'get', resource: 'secrets', namespace, expected: 'denied' },
      { verb: 'create', resource: 'services', namespace, expected: 'denied' },
      { verb: 'create', resource: 'pods', namespace: 'default', expected: 'denied' },
      { verb: 'list', resource: 'pods', namespace: '', expected: 'denied' },
    ]);
    expect(actual).toEqual(expected);
  });

  describe('an interpreter launched as Zeppelin\'s launcher launches it', () => {
    let server: KubeObj;
    let launched: KubeObj[];
    let launch: InterpreterLaunch;
    const podName = 'spark-shared-process-qwerty';

    beforeAll(async () => {
      server = await waitFor(() => list('pods', namespace, 'app.kubernetes.io/component=server')[0], 60_000, 'the server pod');
      const seed = JSON.parse(configMap('notebooks-interpreter-settings').data['spark-setting.json']);
      launch = {
        namespace, podName, serverPod: { name: server.metadata.name, uid: server.metadata.uid }, serverService: 'notebooks-server', user: 'alice@example.com',
        properties: seed.properties, sparkImage: 'apache/spark:4.0.5',
      };
      launched = renderLikeTheLauncher(configMap('notebooks-interpreter-template').data['100-interpreter-spec.yaml'], launch);
    }, 120_000);

    it('renders a Pod and its Service, owned by the server pod', () => {
      expect(launched.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([`Pod/${podName}`, `Service/${podName}`]);
      for (const object of launched) {
        expect(object.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Pod', name: server.metadata.name, uid: server.metadata.uid, controller: false, blockOwnerDeletion: false }]);
      }
      const [pod] = launched;
      const env = Object.fromEntries(pod.spec.containers[0].env.filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value]));
      // The typed model reaches spark-submit through the launcher's ZEPPELIN_SPARK_CONF.
      expect(env.ZEPPELIN_SPARK_CONF.split('|')).toEqual(expect.arrayContaining(['--conf', 'spark.executor.memory=2g', 'spark.dynamicAllocation.maxExecutors=4', `spark.kubernetes.driver.pod.name=${podName}`, 'spark.kubernetes.executor.podTemplateFile=/opt/sparkplane/conf/executor-pod-template.yaml']));
      expect(env.SPARK_HOME).toBe('/opt/spark');
      expect(pod.metadata.annotations['sparkplane.io/zeppelin-user']).toBe('alice@example.com');
      expect(pod.spec.containers[0].command).toEqual([
        '/opt/zeppelin/bin/interpreter.sh', '-d', '/opt/zeppelin/interpreter/spark', '-r', '12321:12321', '-c', `notebooks-server.${namespace}.svc`, '-p', '12320',
        '-i', 'spark-shared_process', '-l', '/tmp/local-repo/spark', '-g', 'spark',
      ]);
    });

    it('is created by the server\'s ServiceAccount under strict validation, admitted by "restricted", and scheduled', async () => {
      // The launcher GETs each object first (fabric8's load().get()), then creates it.
      for (const object of launched) expect(kubectl(['-n', namespace, 'get', object.kind.toLowerCase(), object.metadata.name, asServer()], { allowFailure: true }).stderr).toMatch(/NotFound/);
      const created = kubectl(['-n', namespace, 'create', '--validate=strict', '-f', '-', asServer()], { input: manifestStream(launched) });
      expect(created.stderr).toBe('');
      const pod = await waitFor(() => getObject('Pod', podName, namespace)?.spec.nodeName && getObject('Pod', podName, namespace), 60_000, 'the interpreter pod scheduled');
      expect(pod.spec.serviceAccountName).toBe('notebooks-interpreter');
      expect(getObject('Service', podName, namespace)!.spec.clusterIP).toBe('None');
    });

    it('lets the interpreter\'s ServiceAccount create an executor from the library\'s template', () => {
      const driver = getObject('Pod', podName, namespace)!;
      // The driver's configuration as spark-submit gets it: the launcher's --conf list.
      const conf = launcherBindings(launch).sparkSubmitConf.filter((_, i) => i % 2 === 1).map((pair) => `${pair}\n`).join('');
      const sparkConf = configMap('notebooks-spark-conf');
      const app = new RenderedApplication([{ ...sparkConf, data: { ...sparkConf.data, 'spark.properties': conf } }]);
      const executor = executorPod(app, driver, 1);
      const created = kubectlDocuments(['-n', namespace, 'create', '--validate=strict', '-f', '-', `--as=system:serviceaccount:${namespace}:notebooks-interpreter`], { input: manifestStream([executor]) })[0];
      expect(created.metadata.labels).toMatchObject({ 'sparkplane.io/application': 'notebooks', 'spark-role': 'executor' });
      expect(created.spec.automountServiceAccountToken).toBe(false);
    });

    it('goes with the server pod: the garbage collector deletes the interpreter pod, its Service and its executors', async () => {
      kubectl(['-n', namespace, 'delete', 'pod', server.metadata.name, '--wait=false']);
      await waitFor(() => !getObject('Pod', podName, namespace) && !getObject('Service', podName, namespace) && list('pods', namespace, 'spark-role=executor').length === 0, 90_000, 'the interpreter\'s objects garbage-collected');
    });

    it('binds every variable the template uses (no empty value where the launcher would give one)', () => {
      const { bindings } = launcherBindings({ namespace, podName, serverPod: { name: 's', uid: 'u' }, serverService: 'notebooks-server', user: 'u', properties: { 'spark.master': 'k8s://x' }, sparkImage: 'i' });
      const template = configMap('notebooks-interpreter-template').data['100-interpreter-spec.yaml'] as string;
      for (const [, name] of template.matchAll(/\{\{\s*(zeppelin\.k8s\.[a-zA-Z0-9.]+?)\s*[}|]/g)) {
        if (name === 'zeppelin.k8s.envs') continue;
        expect(bindings).toHaveProperty([name]);
      }
    });
  });
});
