// Reading rendered applications the way the cluster and Spark see them: move them into a test
// namespace, and stamp executor pods from the executor pod template as Spark's driver would.
import { parse } from 'yaml';
import { parseSparkSizeMiB } from '../../../lib/core';
import { parseJavaProperties } from '../../support/render-helpers';
import type { KubeObj } from './kube';

/** The rendered objects of one application, with accessors for the parts the tests use. */
export class RenderedApplication {
  constructor(readonly objects: KubeObj[]) {}

  /** The single object of `kind`; throws when there is none or more than one. */
  one(kind: string): KubeObj {
    const found = this.objects.filter((o) => o.kind === kind);
    if (found.length !== 1) throw new Error(`expected one ${kind} among the rendered objects, found ${found.length}`);
    return found[0];
  }

  get namespace(): string {
    return this.one('Job').metadata.namespace!;
  }
  get job(): KubeObj {
    return this.one('Job');
  }
  get role(): KubeObj {
    return this.one('Role');
  }
  /** Name of the driver pod's ServiceAccount (rendered or existing). */
  get driverServiceAccount(): string {
    return this.job.spec.template.spec.serviceAccountName;
  }
  get sparkProperties(): Record<string, string> {
    return parseJavaProperties(this.one('ConfigMap').data['spark.properties']);
  }
  get executorPodTemplate(): KubeObj {
    return parse(this.one('ConfigMap').data['executor-pod-template.yaml']);
  }
}

/**
 * The objects moved from their namespace into `namespace`: metadata, RoleBinding subjects, and the
 * Spark properties that name the namespace (spark.kubernetes.namespace, spark.driver.host). Fails
 * if the old namespace still appears anywhere, so a new reference to it cannot slip through.
 */
export function intoNamespace(objects: readonly KubeObj[], namespace: string): RenderedApplication {
  const namespaces = new Set(objects.map((o) => o.metadata.namespace));
  if (namespaces.size !== 1 || namespaces.has(undefined)) throw new Error(`expected every object in one namespace, found ${[...namespaces].join(', ')}`);
  const from = [...namespaces][0]!;
  const moved: KubeObj[] = JSON.parse(JSON.stringify(objects));
  const escaped = from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  for (const object of moved) {
    object.metadata.namespace = namespace;
    if (object.kind === 'RoleBinding') {
      for (const subject of object.subjects ?? []) if (subject.namespace === from) subject.namespace = namespace;
    }
    if (object.kind === 'ConfigMap') {
      for (const [key, value] of Object.entries<string>(object.data ?? {})) {
        object.data[key] = value
          .replace(new RegExp(`^spark\\.kubernetes\\.namespace=${escaped}$`, 'gm'), `spark.kubernetes.namespace=${namespace}`)
          .replace(new RegExp(`\\.${escaped}\\.svc\\b`, 'g'), `.${namespace}.svc`);
      }
    }
  }
  const left = JSON.stringify(moved).match(new RegExp(`.{0,60}\\b${escaped}\\b.{0,20}`));
  if (left) throw new Error(`namespace "${from}" still appears after moving the objects to "${namespace}": …${left[0]}…`);
  return new RenderedApplication(moved);
}

/** The labels Spark puts on executor pods of the application id the tests use. */
export const TEST_APP_ID = 'spark-test';

/**
 * Executor pod number `id`, as Spark's ExecutorPodsAllocator and BasicExecutorFeatureStep build it:
 * the executor pod template, plus the pod name `<driver pod name>-exec-<id>` (the driver's args set
 * spark.kubernetes.executor.podNamePrefix to its own pod name), Spark's labels, the
 * application image, args, environment, CPU and memory, restartPolicy Never, the block manager's
 * containerPort, and a controller owner reference to the live driver pod. The ServiceAccount is left
 * to the template (Spark sets one only when spark.kubernetes.authenticate.executor.serviceAccountName
 * is configured), so it is "default".
 */
export function executorPod(app: RenderedApplication, driverPod: KubeObj, id: number): KubeObj {
  const properties = app.sparkProperties;
  const pod: KubeObj = app.executorPodTemplate;
  const prefix = driverPod.metadata.name;
  const containerName = properties['spark.kubernetes.executor.podTemplateContainerName'];
  const name = `${prefix}-exec-${id}`;
  const heapMiB = parseSparkSizeMiB(properties['spark.executor.memory'] ?? '1g')!;
  const overheadMiB = properties['spark.executor.memoryOverhead'] !== undefined
    ? parseSparkSizeMiB(properties['spark.executor.memoryOverhead'])!
    : Math.max(384, Math.floor(heapMiB * 0.1));
  const memory = `${heapMiB + overheadMiB}Mi`;
  const cpu = properties['spark.kubernetes.executor.request.cores'] ?? properties['spark.executor.cores'] ?? '1';

  pod.metadata = {
    ...pod.metadata,
    name,
    namespace: driverPod.metadata.namespace,
    labels: {
      ...pod.metadata?.labels,
      'spark-app-selector': TEST_APP_ID,
      'spark-app-name': properties['spark.app.name'],
      'spark-exec-id': String(id),
      'spark-exec-resourceprofile-id': '0',
      'spark-role': 'executor',
    },
    ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: driverPod.metadata.name, uid: driverPod.metadata.uid, controller: true }],
  };
  pod.spec.restartPolicy = 'Never';
  pod.spec.hostname = name;
  const container = pod.spec.containers.find((c: { name: string }) => c.name === containerName);
  if (!container) throw new Error(`the executor pod template has no container named ${containerName} (spark.kubernetes.executor.podTemplateContainerName)`);
  Object.assign(container, {
    image: properties['spark.kubernetes.container.image'],
    imagePullPolicy: properties['spark.kubernetes.container.image.pullPolicy'],
    args: ['executor'],
    env: [
      ...(container.env ?? []),
      { name: 'SPARK_EXECUTOR_ID', value: String(id) },
      { name: 'SPARK_APPLICATION_ID', value: TEST_APP_ID },
      { name: 'SPARK_DRIVER_URL', value: `spark://CoarseGrainedScheduler@${properties['spark.driver.host']}:${properties['spark.driver.port']}` },
      { name: 'SPARK_EXECUTOR_POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
    ],
    ports: nonEmpty([...(container.ports ?? []), ...blockManagerPorts(properties)]),
    resources: {
      ...container.resources,
      requests: { ...container.resources?.requests, cpu, memory },
      limits: { ...container.resources?.limits, memory },
    },
  });
  return pod;
}

/** Spark's default spark.blockManager.port (Constants.DEFAULT_BLOCKMANAGER_PORT). */
export const DEFAULT_BLOCK_MANAGER_PORT = 7079;

/**
 * The executor container's ports as BasicExecutorFeatureStep adds them (appended to the template's):
 * one named "blockmanager" at spark.blockManager.port, 7079 when unset, and none for 0 (a random
 * port, which Kubernetes could not declare). Spark sets no protocol; the API server defaults TCP.
 * On the host network that containerPort becomes a hostPort, which is what the shuffle wiring avoids.
 */
function blockManagerPorts(properties: Record<string, string>): Array<{ name: string; containerPort: number }> {
  const port = Number(properties['spark.blockManager.port'] ?? DEFAULT_BLOCK_MANAGER_PORT);
  if (!Number.isInteger(port) || (port !== 0 && (port < 1024 || port > 65535))) {
    // Spark's own require() in BasicExecutorFeatureStep: the driver would fail before making any pod.
    throw new Error(`spark.blockManager.port=${properties['spark.blockManager.port']}: port number must be 0 or in [1024, 65535]`);
  }
  return port === 0 ? [] : [{ name: 'blockmanager', containerPort: port }];
}

function nonEmpty<T>(items: T[]): T[] | undefined {
  return items.length ? items : undefined;
}

/** Whether a live pod has a service account token volume, and where its containers mount it. */
export function serviceAccountTokenMounts(pod: KubeObj): { tokenVolumes: string[]; mountedIn: string[] } {
  const tokenVolumes = (pod.spec.volumes ?? [])
    .filter((v: any) => (v.projected?.sources ?? []).some((s: any) => s.serviceAccountToken))
    .map((v: any) => v.name as string);
  const mountedIn = [...(pod.spec.initContainers ?? []), ...pod.spec.containers]
    .filter((c: any) => (c.volumeMounts ?? []).some((m: any) => tokenVolumes.includes(m.name) || m.mountPath === '/var/run/secrets/kubernetes.io/serviceaccount'))
    .map((c: any) => c.name as string);
  return { tokenVolumes, mountedIn };
}
