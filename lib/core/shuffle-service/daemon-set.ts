// The shuffle service's DaemonSet: one pod per node with
// - `prepare`, the only root process: it creates <H>/state and <H>/apps owned by Spark's user;
// - `shuffle-service`: Spark's own org.apache.spark.deploy.ExternalShuffleService, from the Spark image;
// - `janitor`: the sparkplane image's `shuffle-janitor`, which removes ended applications' files and
//   relays the service's StatsD metrics to Prometheus.
// The pod is on the host network: executors publish their map output at their own address, which
// must still answer after the executor is gone, so it is the node's (design §1.6).
import { compact } from '../compact';
import { podPlacementFields } from '../pod-placement';
import type { KubeContainer, KubeObject } from '../kube-objects';
import { containerSecurityContext, SPARK_UID } from '../pod-security';
import { parseSparkSizeMiB } from '../quantity';
import { APPS_SUBDIR, STATE_SUBDIR } from './layout';
import type { ResolvedShuffleService } from './resolve';

/** Where the service reads spark-defaults.conf and log4j2.properties (SPARK_CONF_DIR). */
export const SHUFFLE_CONF_DIR = '/opt/sparkplane/shuffle-conf';
/** Container names of the DaemonSet's pod. */
export const SHUFFLE_CONTAINER_NAMES = { prepare: 'prepare', service: 'shuffle-service', janitor: 'janitor' } as const;
/** Where the janitor finds its token; the pod mounts none elsewhere (automountServiceAccountToken is off). */
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Labels that select the DaemonSet's pods. */
export function shuffleServiceSelector(service: ResolvedShuffleService): Record<string, string> {
  return { 'app.kubernetes.io/name': 'spark-shuffle-service', 'app.kubernetes.io/instance': service.name };
}

/** Labels of every object of the service, with the user's first so ours win. */
export function shuffleServiceLabels(service: ResolvedShuffleService): Record<string, string> {
  return { ...service.spec.labels, ...shuffleServiceSelector(service), 'app.kubernetes.io/managed-by': 'sparkplane' };
}

/**
 * Makes <H>/state and <H>/apps, mode 0700, owned by Spark's user. A directory appears under its
 * final name only once it is owned by 185 (made as "<dir>.new", then renamed): executors, whose
 * hostPath volume has type Directory, never start on a half-prepared node.
 */
export function prepareScript(hostPath: string): string {
  return [
    'set -eu',
    `for dir in ${hostPath}/${STATE_SUBDIR} ${hostPath}/${APPS_SUBDIR}; do`,
    '  if [ ! -d "$dir" ]; then',
    '    rmdir "$dir.new" 2>/dev/null || true',
    '    mkdir "$dir.new"',
    `    chown ${SPARK_UID}:${SPARK_UID} "$dir.new"`,
    '    chmod 0700 "$dir.new"',
    '    mv "$dir.new" "$dir"',
    '  fi',
    `  chown ${SPARK_UID}:${SPARK_UID} "$dir"`,
    '  chmod 0700 "$dir"',
    'done',
  ].join('\n');
}

/** Memory of the service container, MiB: the heap, as much again for Netty's direct buffers, and 256 MiB for the JVM itself. */
export function shuffleServiceContainerMemoryMiB(service: ResolvedShuffleService): number {
  return parseSparkSizeMiB(service.memory)! * 2 + 256;
}

/** The DaemonSet. */
export function renderShuffleDaemonSet(service: ResolvedShuffleService): KubeObject {
  const { hostPath, appsDir, spec } = service;
  const memory = `${shuffleServiceContainerMemoryMiB(service)}Mi`;
  const common = { imagePullPolicy: service.imagePullPolicy };
  const hostMount = { name: 'shuffle-host', mountPath: hostPath };
  const tcpProbe = { tcpSocket: { port: 'shuffle' } };
  const httpProbe = (path: string) => ({ httpGet: { path, port: 'metrics' }, periodSeconds: 10, timeoutSeconds: 2 });
  const prepare: KubeContainer = {
    name: SHUFFLE_CONTAINER_NAMES.prepare,
    image: service.image,
    ...common,
    command: ['/bin/sh', '-c', prepareScript(hostPath)],
    // Root with two capabilities, for chown and chmod of the two directories; nothing else.
    securityContext: containerSecurityContext({ runAsNonRoot: false, runAsUser: 0, runAsGroup: 0, capabilities: { drop: ['ALL'], add: ['CHOWN', 'FOWNER'] } }),
    resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
    volumeMounts: [hostMount],
  };
  const shuffleService = compact({
    name: SHUFFLE_CONTAINER_NAMES.service,
    image: service.image,
    ...common,
    // The image's entrypoint runs anything that is not "driver" or "executor" as given. spark-class
    // keeps the JVM in the foreground (sbin/start-shuffle-service.sh would fork it away).
    args: ['/opt/spark/bin/spark-class', 'org.apache.spark.deploy.ExternalShuffleService'],
    env: [
      { name: 'SPARK_CONF_DIR', value: SHUFFLE_CONF_DIR },
      // The roots the service accepts executors' directories under (LocalDirValidator).
      { name: 'SPARK_LOCAL_DIRS', value: appsDir },
      { name: 'SPARK_DAEMON_MEMORY', value: service.memory },
    ],
    ports: [{ name: 'shuffle', containerPort: service.port, protocol: 'TCP' }],
    // The port is bound once the service can serve (ExternalShuffleService.start); it has no HTTP endpoint.
    readinessProbe: { ...tcpProbe, periodSeconds: 5 },
    livenessProbe: { ...tcpProbe, initialDelaySeconds: 30, periodSeconds: 10, failureThreshold: 6 },
    resources: { requests: { cpu: service.cpuRequest, memory }, limits: { memory } },
    securityContext: containerSecurityContext(),
    volumeMounts: [hostMount, { name: 'shuffle-conf', mountPath: SHUFFLE_CONF_DIR, readOnly: true }, { name: 'tmp', mountPath: '/tmp' }],
  }) as KubeContainer;
  const janitor: KubeContainer = {
    name: SHUFFLE_CONTAINER_NAMES.janitor,
    image: spec.janitorImage,
    ...common,
    args: ['shuffle-janitor'],
    // The image's working directory belongs to its own user (65532, mode 0700): as 185 the runtime
    // could not enter it, and the container would not start.
    workingDir: '/',
    env: [
      { name: 'SPARKPLANE_JANITOR_APPS_DIR', value: appsDir },
      { name: 'SPARKPLANE_JANITOR_GRACE', value: service.janitor.grace },
      { name: 'SPARKPLANE_JANITOR_INTERVAL', value: service.janitor.interval },
      { name: 'SPARKPLANE_JANITOR_METRICS_PORT', value: String(service.metricsPort) },
      { name: 'SPARKPLANE_JANITOR_STATSD_PORT', value: String(service.statsdPort) },
      { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
    ],
    ports: [{ name: 'metrics', containerPort: service.metricsPort, protocol: 'TCP' }],
    readinessProbe: httpProbe('/readyz'),
    livenessProbe: { ...httpProbe('/healthz'), failureThreshold: 3 },
    resources: { requests: { cpu: service.janitor.cpuRequest, memory: service.janitor.memory }, limits: { memory: service.janitor.memory } },
    // Spark's user, not the image's: it deletes files the executors wrote, with no capability.
    securityContext: containerSecurityContext({}, SPARK_UID),
    volumeMounts: [
      // Only the executors' files: the service's database under <H>/state is out of its reach.
      { name: 'shuffle-host', mountPath: appsDir, subPath: APPS_SUBDIR },
      { name: 'janitor-token', mountPath: SERVICE_ACCOUNT_DIR, readOnly: true },
    ],
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: service.names.daemonSet, namespace: service.namespace, labels: shuffleServiceLabels(service) },
    spec: {
      selector: { matchLabels: shuffleServiceSelector(service) },
      // One node's service at a time, and never two on one node: a surge pod would find the host port taken.
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      minReadySeconds: 10,
      template: {
        metadata: {
          labels: shuffleServiceLabels(service),
          annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(service.metricsPort), 'prometheus.io/path': '/metrics' },
        },
        spec: compact({
          hostNetwork: true,
          // Host network, yet cluster DNS: the janitor reaches kubernetes.default.svc.
          dnsPolicy: 'ClusterFirstWithHostNet',
          serviceAccountName: service.names.janitor,
          // The token goes to the janitor alone (the janitor-token volume), not to every container.
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 30,
          // runAsNonRoot is set per container: `prepare` is root.
          securityContext: { runAsUser: SPARK_UID, runAsGroup: SPARK_UID, seccompProfile: { type: 'RuntimeDefault' } },
          nodeSelector: Object.keys(service.nodeSelector).length ? service.nodeSelector : undefined,
          tolerations: service.tolerations.length ? service.tolerations : undefined,
          priorityClassName: spec.priorityClassName,
          ...podPlacementFields({ imagePullSecrets: spec.imagePullSecrets }),
          initContainers: [prepare],
          containers: [shuffleService, janitor],
          volumes: [
            { name: 'shuffle-host', hostPath: { path: hostPath, type: 'DirectoryOrCreate' } },
            { name: 'shuffle-conf', configMap: { name: service.names.configMap } },
            { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
            {
              name: 'janitor-token',
              projected: {
                sources: [
                  { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
                  { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
                  { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
                ],
              },
            },
          ],
        }),
      },
    },
  };
}
