// The external shuffle service (issue 6): what the DaemonSet and its objects say, what an application
// that uses the service adds, and the errors for conflicting options.
import {
  executorDirsTemplate, isSparkConfKey, renderExternalShuffleService, SHUFFLE_CONTAINER_NAMES, SparkplaneValidationError,
  toleratedBy, type ExternalShuffleServiceSpec, type KubeToleration, type SparkApplicationSpec,
} from '../../lib/core';
import { parseJavaProperties, rendered } from '../support/render-helpers';

const service: ExternalShuffleServiceSpec = { sparkVersion: '4.0.5', janitorImage: 'registry.example.com/sparkplane:0.1.0', applicationNamespaces: ['batch-a', 'batch-b'] };
const application: SparkApplicationSpec = {
  name: 'elastic',
  namespace: 'batch-a',
  sparkVersion: '4.0.5',
  mainClass: 'org.example.Job',
  mainApplicationFile: 'local:///opt/job.jar',
  podSecurity: 'privileged',
  dynamicAllocation: { maxExecutors: 10 },
  shuffleService: service,
};

function objectsOf(spec: ExternalShuffleServiceSpec) {
  const objects = renderExternalShuffleService(spec);
  const one = (kind: string): any => {
    const found = objects.filter((o) => o.kind === kind);
    expect(found).toHaveLength(1);
    return found[0];
  };
  const daemonSet = one('DaemonSet');
  const pod = daemonSet.spec.template.spec;
  const container = (name: string) => [...pod.initContainers, ...pod.containers].find((c: any) => c.name === name);
  return { objects, one, daemonSet, pod, container, conf: parseJavaProperties(one('ConfigMap').data['spark-defaults.conf']) };
}

function problemsOf(render: () => unknown): Array<{ path: string; message: string }> {
  try {
    render();
  } catch (error) {
    if (error instanceof SparkplaneValidationError) return error.problems.map(({ path, message }) => ({ path, message }));
    throw error;
  }
  throw new Error('expected a SparkplaneValidationError');
}

describe('ExternalShuffleService', () => {
  it('renders its namespace at the "privileged" level, the janitor\'s identity and RBAC, the configuration and the DaemonSet', () => {
    const { objects } = objectsOf(service);
    expect(objects.map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual([
      'Namespace /sparkplane-shuffle',
      'ServiceAccount sparkplane-shuffle/shuffle-service-janitor',
      'ClusterRole /sparkplane:sparkplane-shuffle:shuffle-service-janitor',
      'RoleBinding batch-a/sparkplane:sparkplane-shuffle:shuffle-service-janitor',
      'RoleBinding batch-b/sparkplane:sparkplane-shuffle:shuffle-service-janitor',
      'ConfigMap sparkplane-shuffle/shuffle-service-conf',
      'DaemonSet sparkplane-shuffle/shuffle-service',
    ]);
    expect(objects[0].metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'privileged', 'pod-security.kubernetes.io/warn': 'baseline' });
    expect(renderExternalShuffleService({ ...service, createNamespace: false }).map((o) => o.kind)).not.toContain('Namespace');
  });

  it('lets the janitor get pods, and nothing else, in exactly the application namespaces (a ClusterRoleBinding only for "*")', () => {
    const { one, objects } = objectsOf(service);
    expect(one('ClusterRole').rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]);
    for (const binding of objects.filter((o) => o.kind === 'RoleBinding') as any[]) {
      expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'sparkplane:sparkplane-shuffle:shuffle-service-janitor' });
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'shuffle-service-janitor', namespace: 'sparkplane-shuffle' }]);
    }
    const everywhere = renderExternalShuffleService({ ...service, applicationNamespaces: '*' });
    expect(everywhere.filter((o) => o.kind === 'RoleBinding')).toEqual([]);
    expect(everywhere.filter((o) => o.kind === 'ClusterRoleBinding')).toHaveLength(1);
  });

  it('runs Spark\'s own service in the foreground on the host network, rolling one node at a time', () => {
    const { daemonSet, pod, container } = objectsOf(service);
    expect(pod.hostNetwork).toBe(true);
    expect(pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(daemonSet.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    const shuffle = container(SHUFFLE_CONTAINER_NAMES.service);
    expect(shuffle.args).toEqual(['/opt/spark/bin/spark-class', 'org.apache.spark.deploy.ExternalShuffleService']);
    expect(shuffle.image).toBe('apache/spark:4.0.5');
    // The validator's root is where executors write; the database lives beside it, out of the janitor's reach.
    expect(shuffle.env).toContainEqual({ name: 'SPARK_LOCAL_DIRS', value: '/var/lib/sparkplane/shuffle/apps' });
    expect(shuffle.env).toContainEqual({ name: 'SPARK_DAEMON_MEMORY', value: '512m' });
    expect(shuffle.readinessProbe.tcpSocket).toEqual({ port: 'shuffle' });
    expect(shuffle.ports).toEqual([{ name: 'shuffle', containerPort: 7337, protocol: 'TCP' }]);
    expect(shuffle.resources).toEqual({ requests: { cpu: '200m', memory: '1280Mi' }, limits: { memory: '1280Mi' } });
  });

  it('gives root to the prepare container alone, with only CHOWN and FOWNER, and the API token to the janitor alone', () => {
    const { pod, container } = objectsOf(service);
    const prepare = container(SHUFFLE_CONTAINER_NAMES.prepare);
    expect(prepare.securityContext).toMatchObject({ runAsUser: 0, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['CHOWN', 'FOWNER'] } });
    expect(prepare.command.at(-1)).toContain('chown 185:185 "$dir.new"');
    for (const name of [SHUFFLE_CONTAINER_NAMES.service, SHUFFLE_CONTAINER_NAMES.janitor]) {
      expect(container(name).securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 185, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true });
    }
    expect(pod.automountServiceAccountToken).toBe(false);
    const tokenMounts = [...pod.initContainers, ...pod.containers].filter((c: any) => c.volumeMounts.some((m: any) => m.name === 'janitor-token')).map((c: any) => c.name);
    expect(tokenMounts).toEqual([SHUFFLE_CONTAINER_NAMES.janitor]);
    // The janitor sees the executors' files only, not the service's database.
    expect(container(SHUFFLE_CONTAINER_NAMES.janitor).volumeMounts).toContainEqual({ name: 'shuffle-host', mountPath: '/var/lib/sparkplane/shuffle/apps', subPath: 'apps' });
  });

  it('tells the janitor where, how often and after what grace, and which ports to serve on', () => {
    const { container } = objectsOf({ ...service, metricsPort: 9101, statsdPort: 9125, janitor: { grace: '5s', interval: '1s' } });
    const env = Object.fromEntries(container(SHUFFLE_CONTAINER_NAMES.janitor).env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toEqual({
      SPARKPLANE_JANITOR_APPS_DIR: '/var/lib/sparkplane/shuffle/apps',
      SPARKPLANE_JANITOR_GRACE: '5s',
      SPARKPLANE_JANITOR_INTERVAL: '1s',
      SPARKPLANE_JANITOR_METRICS_PORT: '9101',
      SPARKPLANE_JANITOR_STATSD_PORT: '9125',
      NODE_NAME: { fieldRef: { fieldPath: 'spec.nodeName' } },
    });
  });

  it.each(['3.5.9', '4.0.5', '4.1.4', '4.2.1', '4.3.0'])('configures Spark %s with real keys only: its port, the database on the host, RocksDB, the StatsD sink', (sparkVersion) => {
    const { conf } = objectsOf({ ...service, sparkVersion, sparkConf: { 'spark.shuffle.io.serverThreads': '8' } });
    const line = sparkVersion.slice(0, 3) as '3.5';
    for (const key of Object.keys(conf)) expect({ key, known: isSparkConfKey(key, line) }).toEqual({ key, known: true });
    expect(conf).toMatchObject({
      'spark.shuffle.service.port': '7337',
      'spark.local.dir': '/var/lib/sparkplane/shuffle/state',
      'spark.shuffle.service.db.backend': 'ROCKSDB',
      'spark.metrics.conf.shuffleService.sink.statsd.class': 'org.apache.spark.metrics.sink.StatsdSink',
      'spark.metrics.conf.shuffleService.sink.statsd.host': '127.0.0.1',
      'spark.metrics.conf.shuffleService.sink.statsd.port': '7339',
      'spark.shuffle.io.serverThreads': '8',
    });
  });

  it('follows the nodes it is told to, with the tolerations given', () => {
    const tolerations = [{ key: 'spark', operator: 'Exists' as const, effect: 'NoSchedule' as const }];
    const { pod } = objectsOf({ ...service, nodeSelector: { pool: 'spark' }, tolerations });
    expect(pod.nodeSelector).toEqual({ pool: 'spark' });
    expect(pod.tolerations).toEqual(tolerations);
  });

  it('names every bad property with the fix', () => {
    const problems = problemsOf(() => renderExternalShuffleService({
      sparkVersion: '4.0.5',
      hostPath: '/var/lib/../etc',
      port: 7338,
      statsdPort: 80,
      applicationNamespaces: ['batch-a', 'batch-a'],
      memory: '100m',
      janitor: { grace: 'soon', interval: '10ms' },
      sparkConf: { 'spark.shuffle.service.port': '1', 'spark.shuffle.service.db.enabeld': 'true' },
    } as unknown as ExternalShuffleServiceSpec));
    expect(problems.map((p) => p.path)).toEqual([
      'janitorImage', 'hostPath', 'metricsPort', 'statsdPort', 'applicationNamespaces', 'memory', 'janitor.grace', 'janitor.interval',
      'sparkConf["spark.shuffle.service.port"]', 'sparkConf["spark.shuffle.service.db.enabeld"]',
    ]);
    expect(problems[2].message).toMatch(/clashes with port/);
    expect(problems[8].message).toMatch(/set port/);
    expect(problems[9].message).toMatch(/did you mean "spark.shuffle.service.db.enabled"/);
    expect(problemsOf(() => renderExternalShuffleService({ sparkVersion: '4.0.5', janitorImage: 'x' } as ExternalShuffleServiceSpec))).toEqual([
      { path: 'applicationNamespaces', message: expect.stringMatching(/is required/) },
    ]);
  });
});

describe('SparkApplication with shuffleService', () => {
  it('enables the service at its port, without shuffle tracking, and tells executors where to write', () => {
    const { properties, driverContainer } = rendered(application);
    expect(properties).toMatchObject({
      'spark.shuffle.service.enabled': 'true',
      'spark.shuffle.service.port': '7337',
      'spark.dynamicAllocation.enabled': 'true',
      'spark.dynamicAllocation.shuffleTracking.enabled': 'false',
      'spark.shuffle.service.removeShuffle': 'true',
      // No containerPort on executor pods (Spark adds one for a fixed port), so no hostPort.
      'spark.blockManager.port': '0',
    });
    expect(properties['spark.dynamicAllocation.shuffleTracking.timeout']).toBeUndefined();
    // Kubernetes fills in the driver pod's name and UID; Spark the application ID.
    const dirs = executorDirsTemplate('/var/lib/sparkplane/shuffle/apps', 'batch-a');
    expect(dirs).toBe('/var/lib/sparkplane/shuffle/apps/batch-a/$(SPARK_DRIVER_POD_NAME)_$(SPARK_DRIVER_POD_UID)/SPARK_APPLICATION_ID');
    expect(driverContainer.args).toContain(`spark.executorEnv.SPARK_EXECUTOR_DIRS=${dirs}`);
    expect(driverContainer.env).toContainEqual({ name: 'SPARK_DRIVER_POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } });
  });

  it('puts executors on the host network, with the node\'s apps directory at the service\'s path and its node selector', () => {
    const { executorTemplate } = rendered({ ...application, shuffleService: { ...service, nodeSelector: { pool: 'spark' } }, executor: { nodeSelector: { zone: 'a' } } });
    expect(executorTemplate.spec).toMatchObject({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet', nodeSelector: { zone: 'a', pool: 'spark' } });
    expect(executorTemplate.spec.volumes).toContainEqual({ name: 'sparkplane-shuffle', hostPath: { path: '/var/lib/sparkplane/shuffle/apps', type: 'Directory' } });
    expect(executorTemplate.spec.containers[0].volumeMounts).toContainEqual({ name: 'sparkplane-shuffle', mountPath: '/var/lib/sparkplane/shuffle/apps' });
    // Everything else about the executor container stays restricted.
    expect(executorTemplate.spec.containers[0].securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  });

  it('leaves applications without the option as they were: no host network, shuffle tracking on', () => {
    const { properties, executorTemplate } = rendered({ ...application, shuffleService: undefined, podSecurity: undefined });
    expect(executorTemplate.spec.hostNetwork).toBeUndefined();
    expect(properties['spark.shuffle.service.enabled']).toBeUndefined();
    expect(properties['spark.dynamicAllocation.shuffleTracking.enabled']).toBe('true');
  });

  it('refuses conflicting options at synth time, each with the fix', () => {
    const problems = problemsOf(() => rendered({
      ...application,
      namespace: 'elsewhere',
      podSecurity: 'restricted',
      dynamicAllocation: { maxExecutors: 10, shuffleTrackingTimeout: '30s' },
      sparkConf: { 'spark.blockManager.port': '7337', 'spark.shuffle.service.enabled': 'false' },
      executor: {
        nodeSelector: { pool: 'gpu' },
        tolerations: [{ key: 'gpu', operator: 'Exists' }],
        sidecars: [{ name: 'exporter', image: 'exporter:1', ports: [{ containerPort: 7338 }] }],
      },
      shuffleService: { ...service, nodeSelector: { pool: 'spark' } },
    }));
    expect(problems).toEqual([
      { path: 'sparkConf["spark.shuffle.service.enabled"]', message: 'is rendered from typed props; set shuffleService instead' },
      { path: 'podSecurity', message: expect.stringMatching(/only the Pod Security "privileged" level allows; set podSecurity to "privileged"/) },
      { path: 'namespace', message: expect.stringMatching(/is not among shuffleService.applicationNamespaces \(batch-a, batch-b\)/) },
      { path: 'dynamicAllocation.shuffleTrackingTimeout', message: expect.stringMatching(/conflicts with shuffleService/) },
      { path: 'sparkConf["spark.blockManager.port"]', message: expect.stringMatching(/^clashes with shuffleService.port, and on the host network a fixed port fits one executor per node/) },
      { path: 'executor.sidecars[0].ports[0].containerPort', message: expect.stringMatching(/clashes with shuffleService.metricsPort/) },
      { path: 'executor.nodeSelector["pool"]', message: expect.stringMatching(/conflicts with the shuffle service's node selector \(pool=spark\)/) },
      { path: 'executor.tolerations[0]', message: expect.stringMatching(/^tolerates taints the shuffle service does not/) },
    ]);
  });

  it('refuses any fixed block manager port: its containerPort would become a hostPort, one executor per node', () => {
    expect(problemsOf(() => rendered({ ...application, sparkConf: { 'spark.blockManager.port': '40000' } }))).toEqual([
      { path: 'sparkConf["spark.blockManager.port"]', message: expect.stringMatching(/^on the host network a fixed port fits one executor per node/) },
    ]);
  });

  it('accepts executor tolerations the service covers', () => {
    const covered = rendered({
      ...application,
      executor: { tolerations: [{ key: 'spark', operator: 'Equal', value: 'yes', effect: 'NoSchedule' }] },
      shuffleService: { ...service, tolerations: [{ key: 'spark', operator: 'Exists' }] },
    });
    expect(covered.executorTemplate.spec.tolerations).toHaveLength(1);
  });

  it('checks the reference itself when it is not the service\'s own spec', () => {
    expect(problemsOf(() => rendered({ ...application, shuffleService: { applicationNamespaces: ['batch-a'], hostPath: 'relative', port: 99999 } }))).toEqual([
      { path: 'shuffleService.hostPath', message: expect.stringMatching(/must be an absolute, normalized host path/) },
      { path: 'shuffleService.port', message: expect.stringMatching(/must be a port from 1024 to 65535/) },
    ]);
  });

  it('refuses what would keep executors from writing to, or reaching, the node\'s directory', () => {
    const problems = problemsOf(() => rendered({
      ...application,
      volumes: [{ name: 'scratch', emptyDir: {} }],
      sparkConf: {
        'spark.kubernetes.executor.node.selector.pool': 'gpu',
        'spark.kubernetes.executor.volumes.persistentVolumeClaim.data.mount.path': '/var/lib/sparkplane/shuffle',
      },
      executor: {
        securityContext: { runAsUser: 1000 },
        env: { SPARK_EXECUTOR_DIRS: '/data' },
        volumeMounts: [{ name: 'scratch', mountPath: '/var/lib/sparkplane/shuffle/apps/batch-a' }],
        sidecars: [{ name: 'agent', image: 'agent:1', ports: [{ containerPort: 9000 }] }],
      },
      shuffleService: { ...service, nodeSelector: { pool: 'spark' } },
    }));
    expect(problems).toEqual([
      { path: 'executor.securityContext.runAsUser', message: expect.stringMatching(/^must be 185 with shuffleService/) },
      { path: 'executor.env["SPARK_EXECUTOR_DIRS"]', message: expect.stringMatching(/is set by shuffleService/) },
      { path: 'executor.sidecars[0].ports[0].containerPort', message: expect.stringMatching(/^on the host network a fixed port fits one executor per node/) },
      { path: 'sparkConf["spark.kubernetes.executor.node.selector.pool"]', message: expect.stringMatching(/conflicts with the shuffle service's node selector \(pool=spark\)/) },
      { path: 'executor.volumeMounts[0].mountPath', message: expect.stringMatching(/overlaps the shuffle service's directory/) },
      { path: 'sparkConf["spark.kubernetes.executor.volumes.persistentVolumeClaim.data.mount.path"]', message: expect.stringMatching(/overlaps the shuffle service's directory/) },
    ]);
    expect(problemsOf(() => rendered({ ...application, shuffleService: 'shuffle' as never }))).toEqual([
      { path: 'shuffleService', message: expect.stringMatching(/^must be the ExternalShuffleService/) },
    ]);
  });
});

describe('toleratedBy, with Kubernetes\' matching rules', () => {
  const all = (effect?: KubeToleration['effect']): KubeToleration => ({ operator: 'Exists', effect });
  it.each<[string, KubeToleration[], KubeToleration, boolean]>([
    ['an empty key with Exists tolerates every key', [all()], { key: 'gpu', operator: 'Exists' }, true],
    ['an empty effect tolerates every effect', [{ key: 'gpu', operator: 'Exists' }], { key: 'gpu', operator: 'Equal', value: 'a', effect: 'NoExecute' }, true],
    ['Exists on a key covers every value of it', [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }], { key: 'gpu', value: 'a', effect: 'NoSchedule' }, true],
    ['Equal does not cover Exists', [{ key: 'gpu', value: 'a' }], { key: 'gpu', operator: 'Exists' }, false],
    ['Equal does not cover another value', [{ key: 'gpu', value: 'a' }], { key: 'gpu', value: 'b' }, false],
    ['an effect-less toleration needs both blocking effects, from one or several', [{ key: 'g', operator: 'Exists', effect: 'NoSchedule' }, { key: 'g', operator: 'Exists', effect: 'NoExecute' }], { key: 'g', operator: 'Exists' }, true],
    ['one effect is not enough for an effect-less toleration', [{ key: 'g', operator: 'Exists', effect: 'NoSchedule' }], { key: 'g', operator: 'Exists' }, false],
    ['PreferNoSchedule never keeps a pod off a node', [], { key: 'g', operator: 'Exists', effect: 'PreferNoSchedule' }, true],
    ['another key is not covered', [{ key: 'a', operator: 'Exists' }], { key: 'b', operator: 'Exists' }, false],
    ['tolerating everything needs the service to tolerate everything', [{ key: 'a', operator: 'Exists' }], all(), false],
  ])('%s', (_, service, executor, expected) => {
    expect(toleratedBy(service, executor)).toBe(expected);
  });

  it('counts the tolerations the DaemonSet controller gives every DaemonSet pod', () => {
    expect(() => rendered({ ...application, executor: { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] } })).not.toThrow();
  });
});
