import { allocatorConfigFromEnv, EnvConfigError } from '../../lib/allocator/config';
import { janitorConfigFromEnv } from '../../lib/shuffle-janitor/config';
import { executorPodToCreate, quotaFootprint, quotaRoom } from '../../lib/allocator/executor-pods';
import { renderSparkApplication, sparkDurationMs, SparkplaneValidationError, type SparkApplicationSpec } from '../../lib/core';
import { Chart, Testing } from 'cdk8s';
import { SparkApplication as Cdk8sSparkApplication } from '../../lib/cdk8s';
import { SparkApplication as PulumiSparkApplication } from '../../lib/pulumi';
import { capturePulumiResources, kubeObjectsOf } from '../support/pulumi-mocks';
import { parseJavaProperties } from '../support/render-helpers';

const required = { SPARKPLANE_NAMESPACE: 'spark', SPARKPLANE_DRIVER_POD_NAME: 'pi-driver-abc' };

describe('the allocator sidecar\'s configuration', () => {
  it('reads every setting from the environment, with defaults', () => {
    expect(allocatorConfigFromEnv({ ...required, SPARKPLANE_ALLOCATOR_BATCH_SIZE: '20', SPARKPLANE_ALLOCATOR_BATCH_DELAY: '500ms' })).toMatchObject({
      namespace: 'spark', driverPodName: 'pi-driver-abc', batchSize: 20, batchDelayMs: 500, pendingDeadlineMs: 60_000, pendingTimeoutMs: 600_000, bridgePort: 7090, metricsPort: 7091, logLevel: 'info',
    });
    expect(sparkDurationMs('2min')).toBe(120_000);
    expect(sparkDurationMs('10')).toBe(10_000);
    expect(sparkDurationMs('ten')).toBeUndefined();
  });

  it('names every bad variable, its value and the fix, all at once', () => {
    let error: EnvConfigError | undefined;
    try {
      allocatorConfigFromEnv({ SPARKPLANE_ALLOCATOR_BATCH_SIZE: '0', SPARKPLANE_ALLOCATOR_BATCH_DELAY: 'soon', SPARKPLANE_ALLOCATOR_LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e as EnvConfigError;
    }
    expect(error).toBeInstanceOf(EnvConfigError);
    expect(error!.problems).toEqual([
      'SPARKPLANE_ALLOCATOR_LOG_LEVEL="loud" is not a log level: use one of debug, info, warn, error',
      'SPARKPLANE_NAMESPACE is not set: set it (the library renders it from the downward API)',
      'SPARKPLANE_DRIVER_POD_NAME is not set: set it (the library renders it from the downward API)',
      'SPARKPLANE_ALLOCATOR_BATCH_SIZE="0" is not a whole number from 1 to 10000: set it to e.g. 10',
      'SPARKPLANE_ALLOCATOR_BATCH_DELAY="soon" is not a duration of at least 10 ms: use a Spark duration such as "1s", "500ms" or "2min"',
    ]);
  });

  it('refuses a pending timeout shorter than the deadline', () => {
    expect(() => allocatorConfigFromEnv({ ...required, SPARKPLANE_ALLOCATOR_PENDING_DEADLINE: '2min', SPARKPLANE_ALLOCATOR_PENDING_TIMEOUT: '60s' })).toThrow(/SPARKPLANE_ALLOCATOR_PENDING_TIMEOUT .* is shorter than SPARKPLANE_ALLOCATOR_PENDING_DEADLINE/);
  });
});

describe('the shuffle janitor\'s configuration', () => {
  it('names every bad variable, its value and the fix', () => {
    let error: EnvConfigError | undefined;
    try {
      janitorConfigFromEnv({ SPARKPLANE_JANITOR_APPS_DIR: 'apps', SPARKPLANE_JANITOR_GRACE: 'soon', SPARKPLANE_JANITOR_INTERVAL: '1ms', SPARKPLANE_JANITOR_METRICS_PORT: '70000' });
    } catch (e) {
      error = e as EnvConfigError;
    }
    expect(error).toBeInstanceOf(EnvConfigError);
    expect(error!.message).toMatch(/^invalid shuffle janitor configuration:/);
    expect(error!.problems).toEqual([
      'SPARKPLANE_JANITOR_APPS_DIR="apps" must be the absolute path of the node\'s apps root as mounted, e.g. "/var/lib/sparkplane/shuffle/apps"',
      'SPARKPLANE_JANITOR_METRICS_PORT="70000" is not a port number: set it to e.g. 7338',
      'SPARKPLANE_JANITOR_GRACE="soon" is not a duration of at least 0 ms: use a Spark duration such as "600s"',
      'SPARKPLANE_JANITOR_INTERVAL="1ms" is not a duration of at least 100 ms: use a Spark duration such as "60s"',
    ]);
    expect(janitorConfigFromEnv({ SPARKPLANE_JANITOR_APPS_DIR: '/h/apps' })).toEqual({ appsDir: '/h/apps', graceMs: 600_000, intervalMs: 60_000, metricsPort: 7338, metricsHost: '0.0.0.0', statsdPort: 7339 });
  });
});

describe('executor pods and quotas', () => {
  const minted = {
    request: 'abc.1', executorId: '7', resourceProfileId: 0, resources: [],
    pod: { metadata: { name: 'pi-driver-abc-exec-7', labels: { 'spark-exec-id': '7' } }, spec: { containers: [{ name: 'istio-proxy', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] } },
    container: { name: 'spark-executor', resources: { requests: { cpu: '1', memory: '1408Mi' }, limits: { memory: '1408Mi' } } },
  };

  it('creates the pod Spark built, executor container appended, marked with its mint request', () => {
    const pod = executorPodToCreate(minted) as any;
    expect(pod.spec.containers.map((c: { name: string }) => c.name)).toEqual(['istio-proxy', 'spark-executor']);
    expect(pod.metadata.annotations['sparkplane.dev/allocator-request']).toBe('abc.1');
    expect(pod.metadata.labels['spark-exec-id']).toBe('7');
  });

  it('counts a pod against a quota as the API server does: requests summed, requests defaulting to limits', () => {
    const footprint = quotaFootprint(executorPodToCreate(minted));
    expect(footprint['requests.cpu']).toBeCloseTo(1.1);
    expect(footprint['cpu']).toBeCloseTo(1.1);
    expect(footprint['requests.memory']).toBe(1472 * 2 ** 20);
    expect(footprint['limits.memory']).toBe(1408 * 2 ** 20);
    expect(footprint['pods']).toBe(1);
    const quota = (hard: Record<string, string>, used: Record<string, string>) => ({ status: { hard, used } });
    expect(quotaRoom([quota({ 'requests.cpu': '10', 'pods': '100' }, { 'requests.cpu': '4500m', 'pods': '5' })], footprint)).toBe(5);
    expect(quotaRoom([quota({ pods: '10' }, { pods: '10' })], footprint)).toBe(0);
    expect(quotaRoom([quota({ 'requests.nvidia.com/gpu': '4' }, {})], footprint)).toBeUndefined();
    expect(quotaRoom([], footprint)).toBeUndefined();
  });
});

describe('the allocator option of SparkApplication', () => {
  const base: SparkApplicationSpec = {
    name: 'pi', sparkVersion: '4.0.5', mainClass: 'org.example.Pi', mainApplicationFile: 'local:///opt/app.jar',
    dynamicAllocation: { maxExecutors: 40 }, allocator: { image: 'registry.example.com/sparkplane:0.1.0' },
  };

  it('makes Spark load the bridge, renders the batch keys from the same props as the sidecar env, with Spark\'s default batch size per version', () => {
    for (const [version, batch] of [['3.5.9', '5'], ['4.0.5', '10'], ['4.2.1', '20']]) {
      const objects = renderSparkApplication({ ...base, sparkVersion: version, sparkConf: { 'spark.driver.extraClassPath': '/opt/extra.jar' } }) as any[];
      const props = parseJavaProperties(objects.find((o) => o.kind === 'ConfigMap').data['spark.properties']);
      expect(props['spark.kubernetes.allocation.pods.allocator']).toBe('dev.sparkplane.allocator.bridge.SparkplanePodsAllocator');
      expect(props['spark.driver.extraClassPath']).toBe('/opt/sparkplane/driver-classpath/sparkplane-allocator-bridge.jar:/opt/extra.jar');
      expect(props['spark.kubernetes.allocation.batch.size']).toBe(batch);
      const pod = objects.find((o) => o.kind === 'Job').spec.template.spec;
      const sidecar = pod.initContainers.find((c: { name: string }) => c.name === 'allocator');
      const env = Object.fromEntries(sidecar.env.filter((e: { value?: string }) => e.value !== undefined).map((e: { name: string; value: string }) => [e.name, e.value]));
      expect(env.SPARKPLANE_ALLOCATOR_BATCH_SIZE).toBe(batch);
      expect(env.SPARKPLANE_ALLOCATOR_MAX_EXECUTORS).toBe('40');
      expect(sidecar.restartPolicy).toBe('Always');
      expect(pod.initContainers.map((c: { name: string }) => c.name)).toEqual(['install-allocator-bridge', 'allocator']);
      const driver = pod.containers[0];
      expect(driver.env).toContainEqual({ name: 'SPARKPLANE_ALLOCATOR_URL', value: 'http://127.0.0.1:7090' });
      expect(driver.volumeMounts).toContainEqual({ name: 'sparkplane-bridge', mountPath: '/opt/sparkplane/driver-classpath', readOnly: true });
    }
  });

  it('adds exactly get, list and watch on resourcequotas to the driver\'s Role', () => {
    const role = (spec: SparkApplicationSpec) => (renderSparkApplication(spec) as any[]).find((o) => o.kind === 'Role').rules;
    const { allocator: _none, ...withoutAllocator } = base;
    expect(role(base)).toEqual([...role(withoutAllocator), { apiGroups: [''], resources: ['resourcequotas'], verbs: ['get', 'list', 'watch'] }]);
  });

  it('refuses a driver init container named like one of the allocator\'s', () => {
    expect(() => renderSparkApplication({ ...base, driver: { initContainers: [{ name: 'allocator', image: 'busybox:1.36' }] } })).toThrow(
      /driver.initContainers\[0\].name = "allocator": is the name of another container of the pod/,
    );
  });

  it('refuses every other bad allocator prop with its own clear error', () => {
    const problems = (allocator: unknown) => {
      try {
        renderSparkApplication({ ...base, allocator } as SparkApplicationSpec);
      } catch (e) {
        return (e as SparkplaneValidationError).problems.map((p) => `${p.path}: ${p.message}`);
      }
      return [];
    };
    expect(problems('sparkplane:0.1.0')).toEqual(['allocator: must be an object with at least image, e.g. { image: "registry.example.com/sparkplane:0.1.0" }']);
    expect(problems({ image: 'reg/sp:1', imagePullPolicy: 'Sometimes', maxPendingPods: 0, pendingDeadline: '1 minute', pendingTimeout: 'later', failedPodGrace: -1, cpuRequest: '0', logLevel: 'trace' })).toEqual([
      'allocator.imagePullPolicy: must be one of Always, IfNotPresent, Never',
      'allocator.maxPendingPods: must be a whole number from 1 to 2147483647',
      'allocator.pendingDeadline: must be a Spark duration such as "1s", "500ms" or "10min"',
      'allocator.pendingTimeout: must be a Spark duration such as "1s", "500ms" or "10min"',
      'allocator.failedPodGrace: must be a Spark duration such as "1s", "500ms" or "10min"',
      'allocator.cpuRequest: must be a positive Kubernetes quantity, e.g. "50m"',
      'allocator.logLevel: must be one of debug, info, warn, error',
    ]);
  });

  it('refuses bad allocator props and the Spark keys the option owns, naming each', () => {
    let error: SparkplaneValidationError | undefined;
    try {
      renderSparkApplication({ ...base, allocator: { image: '', batchSize: 0, batchDelay: 'soon', memory: '-1' } as any, sparkConf: { 'spark.kubernetes.allocation.batch.size': '7' } });
    } catch (e) {
      error = e as SparkplaneValidationError;
    }
    expect(error?.problems.map((p) => p.path)).toEqual(['allocator.image', 'allocator.batchSize', 'allocator.batchDelay', 'allocator.memory', 'sparkConf["spark.kubernetes.allocation.batch.size"]']);
    expect(error?.message).toMatch(/sparkConf\["spark.kubernetes.allocation.batch.size"\] = "7": is set by the allocator option; use allocator.batchSize instead/);
  });
});

describe('the allocator option in both front ends', () => {
  const { name: _name, ...props } = {
    name: 'pi', sparkVersion: '4.0.5', mainClass: 'org.example.Pi', mainApplicationFile: 'local:///opt/app.jar',
    dynamicAllocation: { maxExecutors: 40 }, allocator: { image: 'registry.example.com/sparkplane:0.1.0', batchSize: 7 },
  };

  it('renders the core\'s objects through the cdk8s construct and the Pulumi component alike', async () => {
    const core = renderSparkApplication({ ...props, name: 'pi', namespace: 'spark' }) as any[];
    const chart = new Chart(Testing.app(), 'test');
    new Cdk8sSparkApplication(chart, 'pi', { ...props, namespace: 'spark' });
    const byKey = (a: any, b: any) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`);
    expect(Testing.synth(chart).sort(byKey)).toEqual([...core].sort(byKey));
    const pulumiObjects = kubeObjectsOf(await capturePulumiResources(() => new PulumiSparkApplication('pi', { ...props, namespace: 'spark' })));
    const job = pulumiObjects.find((o: any) => o.kind === 'Job')!;
    expect(job.metadata.annotations).toEqual({ 'pulumi.com/waitFor': 'jsonpath={.status.startTime}' });
    expect(job.spec).toEqual(core.find((o) => o.kind === 'Job').spec);
    expect(pulumiObjects.find((o: any) => o.kind === 'Role')!.rules).toContainEqual({ apiGroups: [''], resources: ['resourcequotas'], verbs: ['get', 'list', 'watch'] });
  });
});
