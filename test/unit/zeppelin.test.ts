// The Zeppelin component's objects, its interpreter template and settings, and its errors (issue 8).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { renderSparkApplication, renderZeppelin, SparkplaneValidationError, type ZeppelinSpec } from '../../lib/core';
import { mergeInterpreterSettings } from '../../lib/zeppelin-settings/merge';
import { OWNED_KEYS_FILE, runZeppelinSettings } from '../../lib/zeppelin-settings/program';
import { bundleImageProgram, ImageProgramProcess } from '../support/image-program';
import { parseJavaProperties } from '../support/render-helpers';

const spec: ZeppelinSpec = {
  name: 'notebooks',
  namespace: 'analytics',
  sparkplaneImage: 'registry.example.com/sparkplane:0.1.0',
  auth: { users: { secretName: 'zeppelin-users', key: 'users' } },
  spark: { sparkVersion: '4.0.2', executor: { memory: '4g', cores: 2 }, dynamicAllocation: { maxExecutors: 8, initialExecutors: 1 }, sparkConf: { 'spark.sql.shuffle.partitions': '64' } },
};

function objectsOf(s: ZeppelinSpec = spec) {
  const objects = renderZeppelin(s) as any[];
  const one = (kind: string, name: string) => {
    const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
    if (found.length !== 1) throw new Error(`expected one ${kind}/${name}, found ${found.length}`);
    return found[0];
  };
  const deployment = one('Deployment', 'notebooks-server');
  return {
    objects,
    one,
    deployment,
    server: deployment.spec.template.spec,
    settings: one('ConfigMap', 'notebooks-server-config').data as Record<string, string>,
    seed: JSON.parse(one('ConfigMap', 'notebooks-interpreter-settings').data['spark-setting.json']),
    template: one('ConfigMap', 'notebooks-interpreter-template').data['100-interpreter-spec.yaml'] as string,
  };
}

function problemsOf(s: unknown): Array<{ path: string; message: string }> {
  try {
    renderZeppelin(s as ZeppelinSpec);
  } catch (error) {
    if (error instanceof SparkplaneValidationError) return error.problems.map(({ path: p, message }) => ({ path: p, message }));
    throw error;
  }
  throw new Error('expected a SparkplaneValidationError');
}

/** The template with the launcher's variables replaced by sample values and its blocks resolved as for a Spark pod with an owner. */
function templateObjects(template: string): any[] {
  // Only for reading the structure in unit tests; the integration suite renders with Zeppelin's own engine (Jinjava).
  const text = template
    .replace(/^\{% (if|endif|for|endfor)[^\n]*\n/gm, '')
    .replace(/^(\s*)- name: "\{\{key\}\}"\n\s*value: \{\{ value\|tojson \}\}\n/m, '')
    .replace(/\{\{([a-zA-Z0-9.]+)\}\}/g, (_m, name: string) => `x-${name.split('.').pop()}`);
  return text.split(/^---$/m).map((doc) => parse(doc));
}

describe('Zeppelin', () => {
  const { objects, one, server, settings, seed, template } = objectsOf();

  it('renders the server, the interpreter identity, settings, template, claim, Service and NetworkPolicies, and nothing cluster-wide', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/notebooks-server', 'Role/notebooks-server', 'RoleBinding/notebooks-server',
      'ServiceAccount/notebooks-interpreter', 'Role/notebooks-interpreter', 'RoleBinding/notebooks-interpreter',
      'ConfigMap/notebooks-spark-conf', 'ConfigMap/notebooks-interpreter-template', 'ConfigMap/notebooks-server-config',
      'ConfigMap/notebooks-interpreter-settings', 'ConfigMap/notebooks-shiro', 'PersistentVolumeClaim/notebooks-data',
      'Deployment/notebooks-server', 'Service/notebooks-server', 'NetworkPolicy/notebooks-server', 'NetworkPolicy/notebooks-interpreter',
    ]);
    expect(objects.every((o) => o.metadata.namespace === 'analytics')).toBe(true);
  });

  it('grants the server exactly the launcher\'s calls on pods and Services, and the interpreter the driver\'s Role of SparkApplication', () => {
    expect(one('Role', 'notebooks-server').rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete', 'get', 'watch'] },
      { apiGroups: [''], resources: ['services'], verbs: ['create', 'delete', 'get'] },
    ]);
    const batch = renderSparkApplication({ name: 'x', namespace: 'analytics', sparkVersion: '4.0.2', mainClass: 'X', mainApplicationFile: 'local:///x.jar', dynamicAllocation: { maxExecutors: 8 } });
    expect(one('Role', 'notebooks-interpreter').rules).toEqual(batch.find((o) => o.kind === 'Role')!.rules);
    expect(one('RoleBinding', 'notebooks-interpreter').subjects).toEqual([{ kind: 'ServiceAccount', name: 'notebooks-interpreter', namespace: 'analytics' }]);
  });

  it('runs Zeppelin in Kubernetes mode, calling back to its own Service on a pinned port', () => {
    const service = one('Service', 'notebooks-server');
    expect(settings.ZEPPELIN_RUN_MODE).toBe('k8s');
    expect(settings.ZEPPELIN_K8S_SERVICE_NAME).toBe(service.metadata.name);
    expect(service.spec.ports.find((p: any) => p.name === 'rpc').port).toBe(12320);
    expect(settings.ZEPPELIN_SERVER_RPC_PORTRANGE).toBe('12320:12320');
    expect(settings.ZEPPELIN_K8S_SPARK_CONTAINER_IMAGE).toBe('apache/spark:4.0.2');
    expect(settings.ZEPPELIN_INTERPRETER_INCLUDES).toBe('spark');
    expect(settings.ZEPPELIN_INTERPRETER_LIFECYCLE_MANAGER_TIMEOUT_THRESHOLD).toBe('3600000');
    expect(settings.ZEPPELIN_NOTEBOOK_STORAGE).toBe('org.apache.zeppelin.notebook.repo.GitNotebookRepo');
    const container = server.containers[0];
    expect(container.env.map((e: any) => e.name)).toEqual(['POD_UID', 'POD_NAME']);
    expect(container.readinessProbe.httpGet.path).toBe('/health/readiness');
    expect(container.livenessProbe.httpGet.path).toBe('/health/liveness');
    expect(server.automountServiceAccountToken).toBe(true);
    expect(server.volumes.find((v: any) => v.name === 'data').persistentVolumeClaim.claimName).toBe('notebooks-data');
  });

  it('restarts the server when what it reads only at start changes: settings, the seed, the template', () => {
    const digest = (s: ZeppelinSpec) => objectsOf(s).deployment.spec.template.metadata.annotations['sparkplane.io/spark-conf-sha256'];
    expect(digest(spec)).toMatch(/^[0-9a-f]{64}$/);
    expect(digest(spec)).toBe(digest({ ...spec }));
    expect(digest({ ...spec, spark: { ...spec.spark, executor: { memory: '8g' } } })).not.toBe(digest(spec));
    expect(digest({ ...spec, interpreterIdleTimeout: '2h' })).not.toBe(digest(spec));
  });

  it('assembles shiro.ini in memory from the users Secret: no password in a ConfigMap', () => {
    const shiro = one('ConfigMap', 'notebooks-shiro').data['shiro-without-users.ini'];
    expect(shiro).not.toMatch(/^\[users\]/m);
    expect(shiro).toMatch(/^\/\*\* = authc$/m);
    expect(server.volumes.find((v: any) => v.name === 'auth').secret).toEqual({ secretName: 'zeppelin-users', items: [{ key: 'users', path: 'users' }], defaultMode: 0o440 });
    expect(server.volumes.find((v: any) => v.name === 'conf').emptyDir.medium).toBe('Memory');
    const prepare = server.initContainers.find((c: any) => c.name === 'prepare-conf');
    expect(prepare.command[2]).toMatch(/shiro-without-users\.ini; printf '\\n\[users\]\\n'; grep .*\/users .*> \/run\/zeppelin\/conf\/shiro\.ini/);
    // Only the init container sees the Secret.
    expect(server.containers[0].volumeMounts.map((m: any) => m.name)).not.toContain('auth');
    for (const configMap of objects.filter((o) => o.kind === 'ConfigMap')) expect(JSON.stringify(configMap.data)).not.toMatch(/zeppelin-users|password\s*=/i);
  });

  it('writes the typed model into the spark interpreter setting: Zeppelin\'s defaults would otherwise win inside the driver', () => {
    expect(seed).toMatchObject({ setting: 'spark', group: 'spark' });
    expect(seed.properties).toMatchObject({
      'spark.master': 'k8s://https://kubernetes.default.svc',
      'spark.executor.memory': '4g',
      'spark.executor.cores': '2',
      'spark.dynamicAllocation.enabled': 'true',
      'spark.dynamicAllocation.maxExecutors': '8',
      // Zeppelin's default of 2 would raise the initial count.
      'spark.executor.instances': '1',
      'spark.sql.shuffle.partitions': '64',
      'spark.driver.port': '22321',
      'spark.driver.blockManager.port': '22322',
      'spark.kubernetes.executor.podTemplateFile': '/opt/sparkplane/conf/executor-pod-template.yaml',
      SPARK_HOME: '/opt/spark',
    });
    // The launcher sets these for every interpreter pod.
    for (const key of ['spark.kubernetes.namespace', 'spark.driver.host', 'spark.kubernetes.driver.pod.name', 'spark.submit.deployMode', 'spark.app.name']) expect(seed.properties).not.toHaveProperty([key]);
    const conf = one('ConfigMap', 'notebooks-spark-conf');
    expect(parseJavaProperties(conf.data['spark.properties'])['spark.executor.memory']).toBe('4g');
    expect(parse(conf.data['executor-pod-template.yaml']).spec.automountServiceAccountToken).toBe(false);
  });

  describe('the interpreter template', () => {
    const [pod, service] = templateObjects(template);

    it('uses only variables Zeppelin 0.12.1\'s launcher binds', () => {
      const bound = new Set([
        'zeppelin.k8s.interpreter.namespace', 'zeppelin.k8s.interpreter.pod.name', 'zeppelin.k8s.interpreter.group.id', 'zeppelin.k8s.interpreter.group.name',
        'zeppelin.k8s.interpreter.setting.name', 'zeppelin.k8s.interpreter.user', 'zeppelin.k8s.interpreter.localRepo', 'zeppelin.k8s.interpreter.rpc.portRange',
        'zeppelin.k8s.server.uid', 'zeppelin.k8s.server.pod.name', 'zeppelin.k8s.server.rpc.service', 'zeppelin.k8s.server.rpc.portRange', 'zeppelin.k8s.envs',
        'key', 'value',
      ]);
      const used = [...template.matchAll(/\{\{\s*([a-zA-Z0-9_.]+)/g), ...template.matchAll(/\{% (?:if|for key, value in) ([a-zA-Z0-9_.]+)/g)].map((m) => m[1].replace(/\.items$/, ''));
      expect(used.length).toBeGreaterThan(10);
      for (const name of used) expect(bound).toContain(name);
    });

    it('is the Spark driver pod: the interpreter\'s ServiceAccount, restricted, with Zeppelin copied in and the executor template mounted', () => {
      expect(pod.spec.serviceAccountName).toBe('notebooks-interpreter');
      expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      for (const c of [...pod.spec.initContainers, ...pod.spec.containers]) {
        expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true });
      }
      const [interpreter] = pod.spec.containers;
      expect(interpreter.image).toBe('apache/spark:4.0.2');
      expect(interpreter.command.slice(0, 3)).toEqual(['/opt/zeppelin/bin/interpreter.sh', '-d', '/opt/zeppelin/interpreter/x-name']);
      expect(interpreter.volumeMounts).toEqual(expect.arrayContaining([{ name: 'zeppelin', mountPath: '/opt/zeppelin' }, { name: 'spark-conf', mountPath: '/opt/sparkplane/conf', readOnly: true }]));
      expect(pod.spec.initContainers[0]).toMatchObject({ name: 'copy-zeppelin', image: 'apache/zeppelin:0.12.1' });
      // A 1g heap by default, and PySpark is offered: 40% overhead.
      expect(interpreter.resources.limits.memory).toBe('1433Mi');
      expect(pod.metadata.labels.app).toBe('x-name');
      expect(pod.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Pod', name: 'x-name', uid: 'x-uid', controller: false })]);
      expect(template).toMatch(/^\{% if zeppelin\.k8s\.server\.uid is defined %\}$/m);
      expect(template).toMatch(/^ {6}value: \{\{ value\|tojson \}\}$/m);
    });

    it('has the headless Service the server and executors reach it through', () => {
      expect(service.spec.clusterIP).toBe('None');
      expect(service.spec.selector).toEqual({ app: 'x-name' });
      expect(service.spec.ports.map((p: any) => [p.name, p.port])).toEqual([['intp', 12321], ['spark-driver', 22321], ['spark-blockmanager', 22322], ['spark-ui', 4040]]);
    });

    it('lets only the server reach the interpreter, and only the executors reach its driver ports', () => {
      const policy = one('NetworkPolicy', 'notebooks-interpreter').spec;
      expect(policy.podSelector.matchLabels).toEqual({ 'sparkplane.io/zeppelin-interpreter': 'notebooks', 'spark-role': 'driver' });
      for (const [key, value] of Object.entries(policy.podSelector.matchLabels)) expect(pod.metadata.labels[key]).toBe(value);
      expect(policy.ingress[0]).toEqual({ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'zeppelin', 'app.kubernetes.io/instance': 'notebooks', 'app.kubernetes.io/component': 'server' } } }], ports: [{ port: 12321, protocol: 'TCP' }, { port: 4040, protocol: 'TCP' }] });
      expect(policy.ingress[1].from).toEqual([{ podSelector: { matchLabels: { 'sparkplane.io/application': 'notebooks', 'spark-role': 'executor' } } }]);
      const executorLabels = parse(one('ConfigMap', 'notebooks-spark-conf').data['executor-pod-template.yaml']).metadata.labels;
      expect(executorLabels).toMatchObject({ 'sparkplane.io/application': 'notebooks', 'spark-role': 'executor' });
    });

    it('carries the allocator sidecar and staged files as a SparkApplication driver pod does', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-zeppelin-staged-'));
      const jar = path.join(dir, 'udfs.jar');
      fs.writeFileSync(jar, 'jar');
      try {
        const staging = { name: 'staging-server', namespace: 'analytics', image: 'registry.example.com/sparkplane:0.1.0' };
        const rendered = objectsOf({ ...spec, spark: { ...spec.spark, allocator: { image: 'registry.example.com/sparkplane:0.1.0' }, staging, jars: [jar] } });
        const [p] = templateObjects(rendered.template);
        expect(p.spec.initContainers.map((c: any) => c.name)).toEqual(['copy-zeppelin', 'fetch-staged', 'install-allocator-bridge', 'allocator']);
        expect(rendered.seed.properties['spark.jars']).toBe('file:///opt/sparkplane/staged/udfs.jar');
        expect(rendered.seed.properties['spark.driver.extraClassPath']).toMatch(/sparkplane-allocator-bridge\.jar$/);
        expect(rendered.one('Role', 'notebooks-interpreter').rules).toContainEqual({ apiGroups: [''], resources: ['resourcequotas'], verbs: ['get', 'list', 'watch'] });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('escapes Jinja in user text, so a value reaches the pod as written', () => {
      const t = objectsOf({ ...spec, spark: { ...spec.spark, driver: { env: { GREETING: 'hi {{name}} {% x %}' } } } }).template;
      expect(t).toContain(`"hi {{ '{{' }}name}} {{ '{%' }} x %}"`);
    });
  });

  it('runs anonymously only when asked by name, and then writes no shiro.ini', () => {
    const anonymous = objectsOf({ ...spec, auth: { allowAnonymousAccessByAnyoneWhoCanReachZeppelin: true } });
    expect(anonymous.objects.some((o) => o.metadata.name === 'notebooks-shiro')).toBe(false);
    expect(anonymous.server.initContainers.find((c: any) => c.name === 'prepare-conf').command[2]).toMatch(/rm -f \/run\/zeppelin\/conf\/shiro\.ini$/);
  });

  it('keeps Git and S3 credentials in Secrets, and adds an Ingress with TLS', () => {
    const git = objectsOf({ ...spec, notebookStorage: { git: { remoteUrl: 'https://git.example.com/notebooks.git', accessToken: { secretName: 'git-token', key: 'token' } } }, ingress: { host: 'zeppelin.example.com', tlsSecretName: 'zeppelin-tls' } });
    expect(git.settings.ZEPPELIN_NOTEBOOK_STORAGE).toBe('org.apache.zeppelin.notebook.repo.GitHubNotebookRepo');
    expect(git.server.containers[0].env).toContainEqual({ name: 'ZEPPELIN_NOTEBOOK_GIT_REMOTE_ACCESS_TOKEN', valueFrom: { secretKeyRef: { name: 'git-token', key: 'token' } } });
    expect(git.settings.ZEPPELIN_ALLOWED_ORIGINS).toBe('https://zeppelin.example.com');
    expect(git.one('Ingress', 'notebooks-server').spec.tls).toEqual([{ hosts: ['zeppelin.example.com'], secretName: 'zeppelin-tls' }]);
    const s3 = objectsOf({ ...spec, notebookStorage: { s3: { bucket: 'notebooks', endpoint: 'http://minio.storage.svc:9000', pathStyleAccess: true, credentialsSecret: 'minio' } } });
    expect(s3.settings).toMatchObject({ ZEPPELIN_NOTEBOOK_STORAGE: 'org.apache.zeppelin.notebook.repo.S3NotebookRepo', ZEPPELIN_NOTEBOOK_S3_BUCKET: 'notebooks', ZEPPELIN_NOTEBOOK_S3_PATH_STYLE_ACCESS: 'true' });
    expect(s3.server.containers[0].envFrom).toContainEqual({ secretRef: { name: 'minio' } });
  });

  describe('bad input', () => {
    it('names an unknown interpreter, a missing auth Secret and an unsupported Spark version', () => {
      expect(problemsOf({ ...spec, spark: { ...spec.spark, interpreters: ['spark', 'scala'] } })).toEqual([
        { path: 'spark.interpreters[1]', message: 'is not an interpreter of Zeppelin\'s Spark group; use one of spark, sql, pyspark, ipyspark, r, ir' },
      ]);
      expect(problemsOf({ ...spec, auth: { users: { key: 'users' } } })).toEqual([{ path: 'auth.users.secretName', message: 'is required: the Secret holding the Shiro [users] lines ("alice = password, admin")' }]);
      expect(problemsOf({ ...spec, auth: undefined })[0]).toMatchObject({ path: 'auth', message: expect.stringMatching(/^is required: Zeppelin runs code for whoever reaches it/) });
      expect(problemsOf({ ...spec, auth: {} })[0]).toMatchObject({ path: 'auth', message: expect.stringMatching(/^names no authentication/) });
      expect(problemsOf({ ...spec, auth: { allowAnonymousAccessByAnyoneWhoCanReachZeppelin: true, users: { secretName: 'u', key: 'k' } } })[0].message).toMatch(/gives users and allowAnonymousAccessByAnyoneWhoCanReachZeppelin; give exactly one/);
      expect(problemsOf({ ...spec, spark: { sparkVersion: '4.1.1' } })).toEqual([
        { path: 'spark.sparkVersion', message: 'is not supported by Zeppelin 0.12.1\'s Spark interpreter, which refuses Spark before 3.3.0 and from 4.1.0 on (SparkVersion.java); use a 3.5.x or 4.0.x release' },
      ]);
    });

    it('refuses the shuffle service, values the launcher would split or evaluate, and reports SparkApplication\'s problems under spark.', () => {
      const problems = problemsOf({
        ...spec,
        sparkplaneImage: undefined,
        spark: { sparkVersion: '3.5.9', shuffleService: { image: 'x:1' }, executor: { memory: 'lots' }, sparkConf: { 'spark.driver.extraJavaOptions': '-Da=1|b', 'spark.sql.warehouse.dir': '{{home}}' } } as never,
      });
      expect(problems.map((p) => p.path)).toEqual(expect.arrayContaining(['sparkplaneImage', 'spark.shuffleService', 'spark.sparkConf["spark.driver.extraJavaOptions"]', 'spark.sparkConf["spark.sql.warehouse.dir"]', 'spark.executor.memory']));
      expect(problems.find((p) => p.path === 'spark.shuffleService')!.message).toMatch(/fixes spark\.blockManager\.port to 22322/);
    });

    it('accepts Spark 3.5 and 4.0, the lines Zeppelin\'s interpreter runs', () => {
      expect(() => renderZeppelin({ ...spec, spark: { sparkVersion: '3.5.9' } })).not.toThrow();
      expect(() => renderZeppelin({ ...spec, spark: { sparkVersion: '4.0.5' } })).not.toThrow();
    });
  });
});

describe('zeppelin-settings', () => {
  const seed = { setting: 'spark', group: 'spark', properties: { 'spark.executor.memory': '4g', 'spark.executor.instances': '3' } };

  it('creates the spark setting when there is no interpreter.json, with string values', () => {
    const { json, owned } = mergeInterpreterSettings(undefined, seed, []);
    expect(json).toEqual({
      interpreterSettings: { spark: { id: 'spark', name: 'spark', group: 'spark', dependencies: [], properties: { 'spark.executor.memory': { name: 'spark.executor.memory', value: '4g', type: 'string' }, 'spark.executor.instances': { name: 'spark.executor.instances', value: '3', type: 'string' } } } },
      interpreterRepositories: [],
    });
    expect(owned).toEqual(['spark.executor.instances', 'spark.executor.memory']);
  });

  it('overwrites only what it owns: UI edits of other keys, options, dependencies and other settings stay; keys it no longer owns go', () => {
    const existing = {
      interpreterSettings: {
        spark: { id: 'spark', name: 'spark', group: 'spark', properties: { 'spark.executor.memory': { name: 'spark.executor.memory', value: '1g', type: 'string' }, 'spark.jars.packages': { name: 'spark.jars.packages', value: 'a:b:1', type: 'string' }, 'spark.old': { name: 'spark.old', value: 'x', type: 'string' } }, option: { perNote: 'isolated' }, dependencies: [{ groupArtifactVersion: 'a:b:1' }] },
        spark2: { id: 'spark2', name: 'spark2', group: 'spark', properties: {} },
      },
      interpreterRepositories: [{ id: 'central' }],
    };
    const { json } = mergeInterpreterSettings(existing, seed, ['spark.old', 'spark.executor.memory']) as any;
    expect(Object.keys(json.interpreterSettings.spark.properties).sort()).toEqual(['spark.executor.instances', 'spark.executor.memory', 'spark.jars.packages']);
    expect(json.interpreterSettings.spark.properties['spark.executor.memory'].value).toBe('4g');
    expect(json.interpreterSettings.spark.option).toEqual({ perNote: 'isolated' });
    expect(json.interpreterSettings.spark.dependencies).toEqual([{ groupArtifactVersion: 'a:b:1' }]);
    expect(json.interpreterSettings.spark2).toEqual(existing.interpreterSettings.spark2);
    expect(json.interpreterRepositories).toEqual([{ id: 'central' }]);
    expect(existing.interpreterSettings.spark.properties['spark.executor.memory'].value).toBe('1g');
  });

  it('refuses a file it cannot read as interpreter.json rather than replace it', () => {
    expect(() => mergeInterpreterSettings([], seed, [])).toThrow(/not an object with an "interpreterSettings" object/);
    expect(() => mergeInterpreterSettings({ interpreterSettings: { spark: { properties: [] } } }, seed, [])).toThrow(/setting "spark" is not an object with a "properties" object/);
  });

  it('writes interpreter.json and the owned keys on disk, and a second run with a smaller seed drops the key it no longer owns', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-zeppelin-settings-'));
    const seedFile = path.join(dir, 'seed.json');
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      fs.writeFileSync(seedFile, JSON.stringify(seed));
      expect(runZeppelinSettings(['--seed', seedFile, '--dir', path.join(dir, 'conf')])).toBe(0);
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'conf', OWNED_KEYS_FILE), 'utf8'))).toEqual(['spark.executor.instances', 'spark.executor.memory']);
      fs.writeFileSync(seedFile, JSON.stringify({ ...seed, properties: { 'spark.executor.memory': '8g' } }));
      expect(runZeppelinSettings(['--seed', seedFile, '--dir', path.join(dir, 'conf')])).toBe(0);
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'conf', 'interpreter.json'), 'utf8'));
      expect(json.interpreterSettings.spark.properties).toEqual({ 'spark.executor.memory': { name: 'spark.executor.memory', value: '8g', type: 'string' } });
      expect(fs.readdirSync(path.join(dir, 'conf')).sort()).toEqual([OWNED_KEYS_FILE, 'interpreter.json']);
    } finally {
      out.mockRestore();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the interpreter-settings init container, as rendered, from the bundled image program', () => {
  it('writes the rendered seed into interpreter.json on the claim and exits 0; bad arguments exit 2', async () => {
    const { server, one } = objectsOf();
    const init = server.initContainers.find((c: any) => c.name === 'interpreter-settings');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-zeppelin-init-'));
    try {
      // The container's paths, under a temporary root: the seed ConfigMap's mount and the claim's.
      const seedMount = init.volumeMounts.find((m: any) => m.name === 'interpreter-settings').mountPath;
      const seedPath = init.args[init.args.indexOf('--seed') + 1];
      fs.mkdirSync(path.join(dir, seedMount), { recursive: true });
      fs.writeFileSync(path.join(dir, seedPath), one('ConfigMap', 'notebooks-interpreter-settings').data[path.basename(seedPath)]);
      const args = init.args.map((a: string, i: number) => (init.args[i - 1] === '--seed' || init.args[i - 1] === '--dir' ? path.join(dir, a) : a));
      const bundle = await bundleImageProgram();
      const program = new ImageProgramProcess(bundle, args, { PATH: process.env.PATH });
      expect(await program.exited).toBe(0);
      const json = JSON.parse(fs.readFileSync(path.join(dir, '/data/conf/interpreter.json'), 'utf8'));
      expect(json.interpreterSettings.spark.properties['spark.executor.memory']).toEqual({ name: 'spark.executor.memory', value: '4g', type: 'string' });
      expect(program.logs[0]).toMatchObject({ level: 'info', component: 'zeppelin-settings', setting: 'spark' });
      const usage = new ImageProgramProcess(bundle, ['zeppelin-settings', '--seed'], { PATH: process.env.PATH });
      expect(await usage.exited).toBe(2);
      expect(usage.stderr.join('')).toMatch(/usage: sparkplane zeppelin-settings --seed/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('Zeppelin bad input, storage, Ingress and timeouts', () => {
  const base: ZeppelinSpec = { name: 'notebooks', sparkplaneImage: 'r/sp:1', auth: { allowAnonymousAccessByAnyoneWhoCanReachZeppelin: true }, spark: { sparkVersion: '4.0.5' } };

  it('names each bad storage, Ingress, timeout and peer prop', () => {
    expect(problemsOf({
      ...base,
      notebookStorage: { git: { remoteUrl: 'git@example.com:n.git', accessToken: { secretName: 'tok' } }, s3: { bucket: 'B' } },
      ingress: { host: 'zeppelin.example.com' },
      interpreterIdleTimeout: '30s',
      interpreterStartTimeout: '1s',
      webPeers: [{ cidr: '10.0.0.1' }],
    }).map((p) => p.path)).toEqual([
      'interpreterIdleTimeout', 'interpreterStartTimeout', 'webPeers[0].cidr',
      'notebookStorage', 'notebookStorage.git.remoteUrl', 'notebookStorage.git.accessToken.key', 'notebookStorage.s3.bucket',
      'ingress.tlsSecretName',
    ]);
    expect(problemsOf({ ...base, ingress: { host: 'zeppelin.example.com' } })[0].message).toMatch(/^is required: Zeppelin's login sends passwords, so the Ingress serves TLS only/);
  });
});
