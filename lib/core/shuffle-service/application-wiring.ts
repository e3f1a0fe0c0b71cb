// What the `shuffleService` option adds to an application (design §2.2):
// - Spark properties: the service on, its port, no shuffle tracking (the service keeps the files);
// - on the driver's command line, the executors' directory root, named after the driver pod (its
//   name and UID come from Kubernetes, the application ID from Spark), which the janitor reads back;
// - executor pods on the host network, the node's apps directory mounted at the same path as in
//   the service, and the service's node selector.
import type { KubeEnvVar, KubeToleration, KubeVolumeMount } from '../kube-objects';
import { SPARK_UID } from '../pod-security';
import { isRecord } from '../props-checker';
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

/** What an application brings to the service check, as given (not yet known to be well-formed). */
export interface ShuffleClient {
  readonly namespace: string;
  readonly podSecurity: string;
  readonly shuffleTrackingTimeout: unknown;
  readonly executorNodeSelector: unknown;
  readonly executorTolerations: unknown;
  /** The UID the executor container runs as. */
  readonly executorUid: unknown;
  readonly executorEnv: unknown;
  /** Ports of the executor pod's other containers, with their paths. */
  readonly executorContainerPorts: ReadonlyArray<readonly [string, unknown]>;
  /** Mount paths in the executor pod, with their paths. */
  readonly executorMountPaths: ReadonlyArray<readonly [string, unknown]>;
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
  if (client.executorUid !== undefined && client.executorUid !== SPARK_UID) {
    problems.add('executor.securityContext.runAsUser', client.executorUid, `must be ${SPARK_UID} with shuffleService: the node's directory belongs to Spark's user (mode 0700), so another user could not write its shuffle files`);
  }
  if (isRecord(client.executorEnv) && 'SPARK_EXECUTOR_DIRS' in client.executorEnv) {
    problems.add('executor.env["SPARK_EXECUTOR_DIRS"]', client.executorEnv.SPARK_EXECUTOR_DIRS, 'is set by shuffleService (Spark would override it anyway); remove it');
  }
  checkHostPorts(service, client, problems);
  checkPlacement(service, client, problems);
  for (const [path, mountPath] of client.executorMountPaths) {
    if (typeof mountPath === 'string' && overlaps(mountPath, service.appsDir)) {
      problems.add(path, mountPath, `overlaps the shuffle service's directory ${service.appsDir}, which executors mount at that path; mount elsewhere`);
    }
  }
}

/** On the host network every fixed port of an executor pod is a port of the node. */
function checkHostPorts(service: ResolvedShuffleServiceRef, client: ShuffleClient, problems: ProblemCollector): void {
  const servicePorts: Array<[string, number]> = [['shuffleService.port', service.port], ['shuffleService.metricsPort', service.metricsPort]];
  const clashOf = (port: unknown) => servicePorts.find(([, own]) => own === Number(port));
  const onePerNode = 'on the host network a fixed port fits one executor per node (the API server makes every containerPort a hostPort)';
  const blockManagerPort = client.sparkConf['spark.blockManager.port'];
  if (blockManagerPort !== undefined && Number(blockManagerPort) !== 0) {
    const clash = clashOf(blockManagerPort);
    problems.add('sparkConf["spark.blockManager.port"]', blockManagerPort, `${clash ? `clashes with ${clash[0]}, and ` : ''}${onePerNode}; remove the key: with shuffleService it is 0, a random port, and Spark adds no containerPort`);
  }
  for (const [path, port] of client.executorContainerPorts) {
    const clash = clashOf(port);
    problems.add(path, port, `${clash ? `clashes with ${clash[0]}, and ` : ''}${onePerNode}; let the container pick a free port and drop its ports entry`);
  }
}

/** Executors must run only where the service runs: its nodes, no taint it does not tolerate. */
function checkPlacement(service: ResolvedShuffleServiceRef, client: ShuffleClient, problems: ProblemCollector): void {
  // Spark applies these keys after the pod template, over its node selector.
  const sparkSelectors = Object.entries(client.sparkConf)
    .map(([key, value]) => [key, /^spark\.kubernetes\.(?:executor\.)?node\.selector\.(.+)$/.exec(key)?.[1], value] as const)
    .filter(([, label]) => label !== undefined);
  const selectors: Array<[string, string, unknown]> = [
    ...Object.entries(isRecord(client.executorNodeSelector) ? client.executorNodeSelector : {}).map(([label, value]) => [`executor.nodeSelector["${label}"]`, label, value] as [string, string, unknown]),
    ...sparkSelectors.map(([key, label, value]) => [`sparkConf["${key}"]`, label!, value] as [string, string, unknown]),
  ];
  for (const [path, label, value] of selectors) {
    if (label in service.nodeSelector && service.nodeSelector[label] !== value) {
      problems.add(path, value, `conflicts with the shuffle service's node selector (${label}=${service.nodeSelector[label]}): executors must run where the service runs`);
    }
  }
  if (!Array.isArray(client.executorTolerations)) return;
  const serviceTolerations = [...service.tolerations, ...DAEMONSET_DEFAULT_TOLERATIONS];
  client.executorTolerations.forEach((toleration: KubeToleration, i) => {
    if (isRecord(toleration) && !toleratedBy(serviceTolerations, toleration)) {
      problems.add(`executor.tolerations[${i}]`, toleration, 'tolerates taints the shuffle service does not: executors could land on nodes where no service runs; add it to the service\'s tolerations');
    }
  });
}

/**
 * What the DaemonSet controller adds to every DaemonSet pod (pkg/controller/daemon/util
 * AddOrUpdateDaemonPodTolerations): node conditions and cordoning never keep the service away.
 */
const DAEMONSET_DEFAULT_TOLERATIONS: readonly KubeToleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  ...['disk-pressure', 'memory-pressure', 'pid-pressure', 'unschedulable', 'network-unavailable']
    .map((condition) => ({ key: `node.kubernetes.io/${condition}`, operator: 'Exists' as const, effect: 'NoSchedule' as const })),
];

/**
 * Whether every taint `toleration` tolerates is tolerated by one of `tolerations`, effect by effect,
 * with Kubernetes' matching rules (an empty key with Exists matches every key, an empty effect every
 * effect). PreferNoSchedule taints never keep a pod off a node, so they do not count.
 */
export function toleratedBy(tolerations: readonly KubeToleration[], toleration: KubeToleration): boolean {
  const effects = toleration.effect ? [toleration.effect] : ['NoSchedule', 'NoExecute'];
  return effects.filter((effect) => effect !== 'PreferNoSchedule').every((effect) => tolerations.some((own) => {
    if (own.effect && own.effect !== effect) return false;
    if (own.operator === 'Exists') return !own.key || own.key === toleration.key;
    return !!own.key && own.key === toleration.key && toleration.operator !== 'Exists' && (own.value ?? '') === (toleration.value ?? '');
  }));
}

/** Whether one of the two paths is the other or lies under it. */
function overlaps(a: string, b: string): boolean {
  const [x, y] = [a.replace(/\/+$/, ''), b.replace(/\/+$/, '')];
  return x === y || x.startsWith(`${y}/`) || y.startsWith(`${x}/`);
}
