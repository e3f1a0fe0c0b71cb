// What the `shuffleService` option adds to an application (design §2.2):
// - Spark properties: the service on, its port, no shuffle tracking (the service keeps the files);
// - on the driver's command line, the executors' directory root, named after the driver pod (its
//   name and UID come from Kubernetes, the application ID from Spark), which the janitor reads back;
// - executor pods on the host network, the node's apps directory mounted at the same path as in
//   the service, and the service's node selector.
import type { KubeEnvVar, KubeToleration, KubeVolumeMount } from '../kube-objects';
import type { ProblemCollector } from '../validation';
import {
  DRIVER_POD_UID_ENV, executorDirsTemplate, EXECUTOR_SHUFFLE_VOLUME, resolveShuffleServiceRef, type ResolvedShuffleServiceRef,
} from './layout';
import type { ShuffleServiceRef } from './spec';

/** The Spark keys the option owns, with the prop to use instead. */
export const SHUFFLE_OWNED_SPARK_KEYS: Readonly<Record<string, string>> = {
  'spark.shuffle.service.enabled': 'shuffleService',
  'spark.shuffle.service.port': 'shuffleService.port',
  'spark.executorEnv.SPARK_EXECUTOR_DIRS': 'shuffleService (the executors write under its hostPath)',
};

/** The Spark properties of an application that uses the service. */
export function shuffleSparkProperties(ref: ResolvedShuffleServiceRef, dynamicAllocation: boolean): Record<string, string> {
  return {
    'spark.shuffle.service.enabled': 'true',
    'spark.shuffle.service.port': String(ref.port),
    // A random port, and no containerPort: Spark gives executor pods one for a fixed port, which
    // the API server turns into a hostPort on the host network, so one executor would fit per node.
    'spark.blockManager.port': '0',
    // Files of shuffles the driver has garbage-collected go during the run (the default from 4.0 on; 3.5 too).
    'spark.shuffle.service.removeShuffle': 'true',
    // An executor on a node where the service is still starting waits about 50 s instead of 15 s.
    'spark.shuffle.registration.maxAttempts': '10',
    // With the service, shuffle data outlives its executor: tracking it would keep idle executors for nothing.
    ...(dynamicAllocation ? { 'spark.dynamicAllocation.shuffleTracking.enabled': 'false' } : {}),
  };
}

/** The driver's `--conf` for the executors' directories: it needs the driver pod's name and UID. */
export function shuffleDriverArguments(ref: ResolvedShuffleServiceRef, namespace: string): string[] {
  return ['--conf', `spark.executorEnv.SPARK_EXECUTOR_DIRS=${executorDirsTemplate(ref.appsDir, namespace)}`];
}

/** The driver container's env var with its pod's UID (the name is there already). */
export function shuffleDriverEnv(): KubeEnvVar[] {
  return [{ name: DRIVER_POD_UID_ENV, valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } }];
}

/**
 * Pod-level fields of the executor pod template. Host network: the address an executor publishes
 * its map output at must answer after the executor is gone, and the node's is the one that does.
 */
export function shuffleExecutorPodFields(ref: ResolvedShuffleServiceRef, nodeSelector: Record<string, string> | undefined): Record<string, unknown> {
  const merged = { ...nodeSelector, ...ref.nodeSelector };
  return {
    hostNetwork: true,
    // Host network, yet cluster DNS: executors reach the driver by its Service's name.
    dnsPolicy: 'ClusterFirstWithHostNet',
    nodeSelector: Object.keys(merged).length ? merged : undefined,
  };
}

/** The executors' hostPath volume: type Directory, so an executor waits on a node the service has not prepared yet. */
export function shuffleExecutorVolume(ref: ResolvedShuffleServiceRef): Record<string, unknown> {
  return { name: EXECUTOR_SHUFFLE_VOLUME, hostPath: { path: ref.appsDir, type: 'Directory' } };
}

/** Its mount in the executor container, at the same path as in the service. */
export function shuffleExecutorMount(ref: ResolvedShuffleServiceRef): KubeVolumeMount {
  return { name: EXECUTOR_SHUFFLE_VOLUME, mountPath: ref.appsDir };
}

/** What an application brings to the service check: its namespace, pod security, executors and conf. */
export interface ShuffleClient {
  readonly namespace: string;
  readonly podSecurity: string;
  readonly shuffleTrackingTimeout: unknown;
  readonly executorNodeSelector: unknown;
  readonly executorTolerations: unknown;
  /** Ports of the executor pod's other containers, with their paths. */
  readonly executorContainerPorts: ReadonlyArray<readonly [string, unknown]>;
  readonly sparkConf: Record<string, unknown>;
}

/** Records every way an application conflicts with the (well-formed) service it uses. */
export function checkShuffleClient(ref: ShuffleServiceRef, client: ShuffleClient, problems: ProblemCollector): void {
  const service = resolveShuffleServiceRef(ref);
  if (client.podSecurity !== 'privileged') {
    problems.add('podSecurity', client.podSecurity, 'executors that use shuffleService run on the host network with a host directory, which only the Pod Security "privileged" level allows; set podSecurity to "privileged" and label the namespace to allow it (keep such applications in namespaces of their own)');
  }
  if (Array.isArray(service.applicationNamespaces) && !service.applicationNamespaces.includes(client.namespace)) {
    problems.add('namespace', client.namespace, `is not among shuffleService.applicationNamespaces (${service.applicationNamespaces.join(', ')}): the janitor could not tell when this application ends, and its files would stay; add the namespace to the service`);
  }
  if (client.shuffleTrackingTimeout !== undefined) {
    problems.add('dynamicAllocation.shuffleTrackingTimeout', client.shuffleTrackingTimeout, 'conflicts with shuffleService: with the service, shuffle tracking is off (the service keeps the files); remove it');
  }
  const servicePorts: Array<[string, number]> = [['shuffleService.port', service.port], ['shuffleService.metricsPort', service.metricsPort]];
  const blockManagerPort = client.sparkConf['spark.blockManager.port'];
  if (blockManagerPort !== undefined && Number(blockManagerPort) !== 0) {
    const clash = servicePorts.find(([, port]) => port === Number(blockManagerPort));
    problems.add('sparkConf["spark.blockManager.port"]', blockManagerPort, `${clash ? `clashes with ${clash[0]}, and ` : ''}on the host network a fixed port fits one executor per node (Spark gives the executor pod a containerPort for it, which becomes a hostPort); remove the key: with shuffleService it is 0, a random port`);
  }
  for (const [containerPath, containerPort] of client.executorContainerPorts) {
    const clash = servicePorts.find(([, port]) => port === containerPort);
    if (clash) problems.add(containerPath, containerPort, `clashes with ${clash[0]}: executors share the node's network with the service; choose another port`);
  }
  if (isStringMap(client.executorNodeSelector)) {
    for (const [key, value] of Object.entries(service.nodeSelector)) {
      if (key in client.executorNodeSelector && client.executorNodeSelector[key] !== value) {
        problems.add(`executor.nodeSelector["${key}"]`, client.executorNodeSelector[key], `conflicts with the shuffle service's node selector (${key}=${value}): executors must run where the service runs`);
      }
    }
  }
  if (Array.isArray(client.executorTolerations)) {
    client.executorTolerations.forEach((toleration: KubeToleration, i) => {
      if (!service.tolerations.some((own) => covers(own, toleration))) {
        problems.add(`executor.tolerations[${i}]`, toleration, 'is not among the shuffle service\'s tolerations: executors could land on nodes where no service runs; add it to the service\'s tolerations');
      }
    });
  }
}

/** Whether the service's toleration `own` tolerates every taint that `other` tolerates. */
function covers(own: KubeToleration, other: KubeToleration): boolean {
  if (own.effect !== undefined && own.effect !== other.effect) return false;
  if (own.operator === 'Exists') return own.key === undefined || own.key === other.key;
  return own.key === other.key && other.operator !== 'Exists' && (own.value ?? '') === (other.value ?? '');
}

function isStringMap(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
