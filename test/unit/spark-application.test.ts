import { parse } from 'yaml';
import { formatJavaProperties, SPARK_CONF_DIGEST_ANNOTATION } from '../../lib/core';
import { validateAll } from '../support/kube-schema';
import { parseJavaProperties, rendered } from '../support/render-helpers';
import { fullSpec, minimalSpec } from '../support/specs';

describe('SparkApplication rendering', () => {
  it('renders ServiceAccount, Role, RoleBinding, ConfigMap, two Services and the Job, in that order', () => {
    const { objects } = rendered(minimalSpec);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/spark-pi-driver', 'Role/spark-pi-driver', 'RoleBinding/spark-pi-driver', 'ConfigMap/spark-pi-spark-conf',
      'Service/spark-pi-driver', 'Service/spark-pi-ui', 'Job/spark-pi-driver',
    ]);
    expect(new Set(objects.map((o) => o.metadata.namespace))).toEqual(new Set(['default']));
  });

  it('produces objects and an executor pod template that the Kubernetes schema accepts', () => {
    validateAll(rendered(minimalSpec).objects, parse);
    validateAll(rendered(fullSpec).objects, parse);
  });

  it('is deterministic', () => {
    expect(JSON.stringify(rendered(fullSpec).objects)).toEqual(JSON.stringify(rendered(fullSpec).objects));
  });

  describe('the Spark properties', () => {
    it('point the client-mode driver at its own cluster, namespace, Service and executor template', () => {
      const { properties } = rendered(minimalSpec);
      expect(properties).toMatchObject({
        'spark.master': 'k8s://https://kubernetes.default.svc:443',
        'spark.submit.deployMode': 'client',
        'spark.app.name': 'spark-pi',
        'spark.kubernetes.namespace': 'default',
        'spark.kubernetes.container.image': 'apache/spark:4.0.2',
        'spark.driver.host': 'spark-pi-driver.default.svc',
        'spark.driver.port': '7078',
        'spark.driver.blockManager.port': '7079',
        'spark.kubernetes.executor.podTemplateFile': '/opt/sparkplane/conf/executor-pod-template.yaml',
        'spark.kubernetes.executor.podTemplateContainerName': 'spark-executor',
        'spark.executor.instances': '2',
        'spark.kubernetes.driver.service.deleteOnTermination': 'false',
      });
      expect(properties['spark.dynamicAllocation.enabled']).toBeUndefined();
    });

    it('carry executor resources, user keys and Hadoop keys', () => {
      const { properties } = rendered(fullSpec);
      expect(properties).toMatchObject({
        'spark.executor.cores': '4',
        'spark.executor.memory': '8g',
        'spark.executor.memoryOverhead': '2g',
        'spark.kubernetes.executor.request.cores': '3500m',
        'spark.kubernetes.executor.limit.cores': '4',
        'spark.executor.instances': '4',
        'spark.sql.shuffle.partitions': '400',
        'spark.hadoop.fs.s3a.endpoint': 'http://minio:9000',
        'spark.kubernetes.container.image.pullSecrets': 'registry-credentials',
        'spark.kubernetes.container.image.pullPolicy': 'Always',
        'spark.driver.host': 'etl-driver.data.svc',
      });
    });

    it('turn on dynamic allocation with shuffle tracking, bounded by maxExecutors', () => {
      const { properties } = rendered({ ...minimalSpec, dynamicAllocation: { minExecutors: 1, maxExecutors: 20, executorIdleTimeout: '30s' } });
      expect(properties).toMatchObject({
        'spark.dynamicAllocation.enabled': 'true',
        'spark.dynamicAllocation.shuffleTracking.enabled': 'true',
        'spark.dynamicAllocation.minExecutors': '1',
        'spark.dynamicAllocation.initialExecutors': '1',
        'spark.dynamicAllocation.maxExecutors': '20',
        'spark.dynamicAllocation.executorIdleTimeout': '30s',
      });
      expect(properties['spark.executor.instances']).toBeUndefined();
    });

    it('survive the properties format: separators, line breaks and non-ASCII text round-trip', () => {
      const tricky = { 'spark.a=b': 'x = y', 'spark.c:d': ' leading blank', 'spark.e': 'line1\nline2\\path', 'spark.f': 'né €' };
      expect(parseJavaProperties(formatJavaProperties(tricky))).toEqual(tricky);
    });
  });

  describe('the driver Job', () => {
    it('runs the image entrypoint in driver mode with the properties file and its own pod name', () => {
      const { driverContainer } = rendered(minimalSpec);
      expect(driverContainer.args).toEqual([
        'driver', '--properties-file', '/opt/sparkplane/conf/spark.properties',
        '--conf', 'spark.kubernetes.driver.pod.name=$(SPARK_DRIVER_POD_NAME)',
        '--conf', 'spark.kubernetes.executor.podNamePrefix=$(SPARK_DRIVER_POD_NAME)',
        '--class', 'org.apache.spark.examples.SparkPi', 'local:///opt/spark/examples/jars/spark-examples.jar',
      ]);
      expect(driverContainer.env.slice(0, 2)).toEqual([
        { name: 'SPARK_DRIVER_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'SPARK_DRIVER_BIND_ADDRESS', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      ]);
    });

    it('doubles every "$" in user arguments, since Kubernetes expands "$(VAR)" and turns "$$" into "$"', () => {
      expect(rendered(fullSpec).driverContainer.args.slice(-3)).toEqual(['--date', '2026-11-25', '$$(NOT_A_VARIABLE)']);
      const { driverContainer } = rendered({ ...minimalSpec, arguments: ['a$$b', 'cost: 5$'] });
      expect(driverContainer.args.slice(-2)).toEqual(['a$$$$b', 'cost: 5$$']);
    });

    it('retries the driver, ignores disruptions, and never runs two drivers at once', () => {
      const { job } = rendered(fullSpec);
      expect(job.spec).toMatchObject({
        backoffLimit: 5,
        activeDeadlineSeconds: 7200,
        ttlSecondsAfterFinished: 3600,
        podReplacementPolicy: 'Failed',
        podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }] },
      });
      expect(job.spec.template.spec.restartPolicy).toBe('Never');
    });

    it('sizes the driver container as Spark sizes a driver pod: heap plus max(10%, 384Mi) overhead', () => {
      expect(rendered(minimalSpec).driverContainer.resources).toEqual({ requests: { cpu: '1', memory: '1408Mi' }, limits: { memory: '1408Mi' } });
      expect(rendered({ ...minimalSpec, driver: { memory: '8g' } }).driverContainer.resources.requests.memory).toBe(`${8192 + 819}Mi`);
      const python = rendered({ ...minimalSpec, mainClass: undefined, mainApplicationFile: 'local:///app/job.py', driver: { memory: '4g' } });
      expect(python.driverContainer.resources.requests.memory).toBe(`${4096 + 1638}Mi`);
      expect(rendered(fullSpec).driverContainer.resources).toEqual({
        requests: { 'cpu': '2', 'memory': '5120Mi', 'ephemeral-storage': '5Gi' },
        limits: { 'cpu': '2', 'memory': '5120Mi', 'ephemeral-storage': '5Gi' },
      });
    });

    it('changes its pod template when the Spark configuration changes', () => {
      const digest = (spec: typeof minimalSpec) => rendered(spec).driverPod.metadata.annotations[SPARK_CONF_DIGEST_ANNOTATION];
      expect(digest(minimalSpec)).toMatch(/^[0-9a-f]{64}$/);
      expect(digest({ ...minimalSpec, sparkConf: { 'spark.sql.shuffle.partitions': '7' } })).not.toEqual(digest(minimalSpec));
    });

    it('selects the driver pod with the headless Service, which publishes it before it is ready', () => {
      const { one, driverPod } = rendered(minimalSpec);
      const service = one('Service', 'spark-pi-driver');
      expect(service.spec.clusterIP).toBe('None');
      expect(service.spec.publishNotReadyAddresses).toBe(true);
      for (const [key, value] of Object.entries(service.spec.selector)) expect(driverPod.metadata.labels[key]).toBe(value);
      expect(service.spec.ports.map((p: any) => p.port)).toEqual([7078, 7079]);
      expect(one('Service', 'spark-pi-ui').spec.ports).toEqual([{ name: 'spark-ui', port: 4040, targetPort: 4040, protocol: 'TCP' }]);
    });

    it('mounts the ConfigMap read-only and gives Spark writable scratch space on a read-only root', () => {
      const { driverContainer, driverPod } = rendered(minimalSpec);
      expect(driverContainer.volumeMounts).toEqual([
        { name: 'spark-conf', mountPath: '/opt/sparkplane/conf', readOnly: true },
        { name: 'spark-tmp', mountPath: '/tmp' },
        { name: 'spark-work-dir', mountPath: '/opt/spark/work-dir' },
      ]);
      expect(driverPod.spec.volumes[0]).toEqual({ name: 'spark-conf', configMap: { name: 'spark-pi-spark-conf' } });
      expect(driverContainer.securityContext.readOnlyRootFilesystem).toBe(true);
    });

    it('applies pod customisation: placement, env from Secrets, init containers and sidecars', () => {
      const { driverPod, driverContainer } = rendered(fullSpec);
      expect(driverPod.spec.nodeSelector).toEqual({ pool: 'on-demand' });
      expect(driverPod.spec.priorityClassName).toBe('high-priority');
      expect(driverPod.spec.imagePullSecrets).toEqual([{ name: 'registry-credentials' }]);
      expect(driverPod.metadata.labels).toMatchObject({ team: 'data', tier: 'driver', 'spark-role': 'driver' });
      expect(driverPod.metadata.annotations['example.com/owner']).toBe('etl');
      expect(driverContainer.env).toContainEqual({ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'etl-db', key: 'password' } } });
      expect(driverContainer.envFrom).toEqual([{ secretRef: { name: 'etl-env' } }]);
      expect(driverPod.spec.initContainers.map((c: any) => c.name)).toEqual(['wait-for-db']);
      expect(driverPod.spec.containers.map((c: any) => c.name)).toEqual(['spark-driver', 'log-shipper']);
      expect(driverContainer.volumeMounts).toContainEqual({ name: 'reference-data', mountPath: '/data/reference', readOnly: true });
    });
  });

  describe('the driver\'s RBAC', () => {
    it('grants exactly the pod and ConfigMap verbs a client-mode driver uses, and nothing on Secrets or Services', () => {
      expect(rendered(minimalSpec).role.rules).toEqual([
        { apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'deletecollection'] },
      ]);
    });

    it('binds the Role to the driver\'s ServiceAccount in its namespace, which mounts no token by default', () => {
      const { one, driverPod } = rendered(fullSpec);
      expect(one('RoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: 'etl-driver', namespace: 'data' }]);
      expect(one('RoleBinding').roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'etl-driver' });
      expect(one('ServiceAccount').automountServiceAccountToken).toBe(false);
      expect(driverPod.spec).toMatchObject({ serviceAccountName: 'etl-driver', automountServiceAccountToken: true });
    });

    it('adds patch on pods only when the configuration makes Spark label or annotate pods', () => {
      const patching: Array<Record<string, string>> = [{ 'spark.kubernetes.executor.decommissionLabel': 'draining' }, { 'spark.kubernetes.executor.deleteOnTermination': 'false' }];
      for (const sparkConf of patching) {
        expect(rendered({ ...minimalSpec, sparkConf }).role.rules[0].verbs).toContain('patch');
      }
    });

    it('adds PersistentVolumeClaim create and delete only for on-demand executor claims', () => {
      const { role } = rendered({ ...minimalSpec, sparkConf: { 'spark.kubernetes.executor.volumes.persistentVolumeClaim.data.options.claimName': 'OnDemand' } });
      expect(role.rules).toContainEqual({ apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['create', 'delete'] });
    });

    it('drops the ConfigMap rule when Spark is told not to create the executors\' ConfigMap', () => {
      const { role } = rendered({ ...minimalSpec, sparkConf: { 'spark.kubernetes.executor.disableConfigMap': 'true' } });
      expect(role.rules.map((rule: any) => rule.resources[0])).toEqual(['pods']);
    });

    it('creates no ServiceAccount when an existing one is named', () => {
      const { objects, one } = rendered({ ...minimalSpec, driver: { serviceAccountName: 'spark' } });
      expect(objects.some((o) => o.kind === 'ServiceAccount')).toBe(false);
      expect(one('RoleBinding').subjects[0].name).toBe('spark');
    });
  });

  describe('the executor pod template', () => {
    it('names the container Spark fills in, and gives executors no API token', () => {
      const { executorTemplate } = rendered(minimalSpec);
      expect(executorTemplate.spec.containers[0].name).toBe('spark-executor');
      expect(executorTemplate.spec.automountServiceAccountToken).toBe(false);
      expect(executorTemplate.metadata.labels).toMatchObject({ 'sparkplane.io/application': 'spark-pi', 'spark-role': 'executor' });
    });

    it('carries executor placement, volumes, env and ephemeral storage, but leaves CPU and memory to Spark', () => {
      const { executorTemplate } = rendered(fullSpec);
      const container = executorTemplate.spec.containers[0];
      expect(executorTemplate.spec.tolerations).toEqual(fullSpec.executor!.tolerations);
      expect(executorTemplate.spec.affinity).toEqual(fullSpec.executor!.affinity);
      expect(container.resources).toEqual({ requests: { 'ephemeral-storage': '20Gi' }, limits: { 'ephemeral-storage': '20Gi' } });
      expect(container.env).toEqual([{ name: 'LOG_LEVEL', value: 'WARN' }]);
      expect(container.volumeMounts).toContainEqual({ name: 'cache', mountPath: '/cache' });
      expect(executorTemplate.spec.volumes.map((v: any) => v.name)).toEqual(['spark-tmp', 'spark-work-dir', 'reference-data', 'certs', 'settings', 'cache']);
    });
  });

  describe('Pod Security "restricted" by default', () => {
    const restrictedContainer = {
      runAsNonRoot: true, runAsUser: 185, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    };
    it('for every container of the driver pod and the executor template', () => {
      const { driverPod, executorTemplate } = rendered(fullSpec);
      for (const pod of [driverPod, executorTemplate]) {
        expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 185, fsGroup: 185, seccompProfile: { type: 'RuntimeDefault' } });
        for (const container of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
          expect(container.securityContext).toMatchObject(restrictedContainer);
        }
        for (const volume of pod.spec.volumes) expect(volume.hostPath).toBeUndefined();
      }
    });
  });
});
