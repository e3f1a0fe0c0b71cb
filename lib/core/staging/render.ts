// renderStagingServer: validate, resolve defaults, and return every object of the staging server:
// its identity and permissions, the tokens Secret (empty: the server fills it), the claim, the
// Deployment, its Service and its NetworkPolicy.
import { compact } from '../compact';
import { ingressNetworkPolicy, networkPolicyPeer } from '../network-policy';
import { podPlacementFields } from '../pod-placement';
import type { KubeObject } from '../kube-objects';
import { containerSecurityContext, restrictedPodSecurityContext } from '../pod-security';
import { SPARKPLANE_IMAGE_UID } from '../allocator/allocator-sidecar';
import {
  READ_TOKEN_KEY, serviceProxyResourceName, STAGING_DATA_PORT, STAGING_METRICS_PORT, STAGING_PORT_NAME, UPLOAD_TOKEN_KEY,
} from './protocol';
import type { StagingServerRef, StagingServerSpec } from './spec';
import { validateStagingServer } from './validate';

/** Where the server keeps its files (the claim's mount). */
export const STAGING_STORAGE_DIR = '/var/lib/sparkplane/staging';
/** Default name of the server. */
export const DEFAULT_STAGING_SERVER_NAME = 'staging-server';

/** Names of a staging server's objects. */
export interface StagingServerNames {
  /** The Deployment, Service, ServiceAccount, Role and NetworkPolicy. */
  readonly server: string;
  /** The Secret with the upload and read tokens. */
  readonly tokens: string;
  /** The PersistentVolumeClaim. */
  readonly data: string;
  /** The Role whose holders may upload. */
  readonly uploader: string;
}

/** The names of the server a reference points to. */
export function stagingServerNames(ref: Pick<StagingServerRef, 'name'>): StagingServerNames {
  const server = ref.name ?? DEFAULT_STAGING_SERVER_NAME;
  return { server, tokens: `${server}-tokens`, data: `${server}-data`, uploader: `${server}-uploader` };
}

/** Only the reference fields of `ref`: front ends pass their server component through this. */
export function stagingServerRefOf(ref: StagingServerRef): StagingServerRef {
  // Anything else is for validation to name.
  if (typeof ref !== 'object' || ref === null) return ref;
  return compact({ name: ref.name, namespace: ref.namespace, image: ref.image, imagePullPolicy: ref.imagePullPolicy });
}

/** The in-cluster URL of the server's data API. */
export function stagingServerUrl(ref: Pick<StagingServerRef, 'name'>, namespace: string): string {
  return `http://${stagingServerNames(ref).server}.${namespace}.svc:${STAGING_DATA_PORT}`;
}

/** Labels that select the server's pod. */
function selector(name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': 'sparkplane-staging-server', 'app.kubernetes.io/instance': name };
}

/** Every Kubernetes object of the staging server. Throws `SparkplaneValidationError` on bad input. */
export function renderStagingServer(spec: StagingServerSpec): KubeObject[] {
  validateStagingServer(spec);
  const names = stagingServerNames(spec);
  const namespace = spec.namespace ?? 'default';
  const labels = { ...spec.labels, ...selector(names.server), 'app.kubernetes.io/managed-by': 'sparkplane' };
  const meta = (name: string) => ({ name, namespace, labels });
  const memory = spec.memory ?? '256Mi';
  const probe = (path: string) => ({ httpGet: { path, port: 'metrics' }, periodSeconds: 10, timeoutSeconds: 2 });
  const roleRef = (name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name });
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(names.server) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta(names.server),
      // The server fills in missing tokens and rereads them (rotation): that one Secret, nothing else.
      rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: [names.tokens], verbs: ['get', 'patch'] }],
    },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta(names.server), roleRef: roleRef(names.server), subjects: [{ kind: 'ServiceAccount', name: names.server, namespace }] },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta(names.uploader),
      rules: [
        { apiGroups: [''], resources: ['secrets'], resourceNames: [names.tokens], verbs: ['get'] },
        // HEAD and GET are `get`, PUT is `update` (`sparkplane stage` never POSTs), on the Service as
        // the proxy path spells it.
        { apiGroups: [''], resources: ['services/proxy'], resourceNames: [serviceProxyResourceName(names.server)], verbs: ['get', 'update'] },
      ],
    },
    ...(spec.uploaders?.length
      ? [{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta(names.uploader), roleRef: roleRef(names.uploader), subjects: spec.uploaders.map((s) => (s.kind === 'ServiceAccount' ? { ...s, namespace: s.namespace ?? namespace } : { apiGroup: 'rbac.authorization.k8s.io', ...s })) }]
      : []),
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { ...meta(names.tokens), annotations: { 'sparkplane.io/tokens': `${UPLOAD_TOKEN_KEY} and ${READ_TOKEN_KEY} are generated by the staging server when missing; replace them to rotate` } },
      type: 'Opaque',
    },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: meta(names.data),
      spec: compact({ accessModes: ['ReadWriteOnce'], storageClassName: spec.storageClassName, resources: { requests: { storage: spec.storageSize ?? '20Gi' } } }),
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(names.server),
      spec: {
        replicas: 1,
        selector: { matchLabels: selector(names.server) },
        // One writer of a ReadWriteOnce claim: the old pod goes before the new one starts.
        strategy: { type: 'Recreate' },
        template: {
          metadata: { labels, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(STAGING_METRICS_PORT), 'prometheus.io/path': '/metrics' } },
          spec: compact({
            serviceAccountName: names.server,
            enableServiceLinks: false,
            securityContext: restrictedPodSecurityContext(SPARKPLANE_IMAGE_UID),
            ...podPlacementFields(spec),
            containers: [{
              name: 'staging-server',
              image: spec.image,
              imagePullPolicy: spec.imagePullPolicy ?? 'IfNotPresent',
              args: ['staging-server'],
              env: [
                { name: 'SPARKPLANE_STAGING_DIR', value: STAGING_STORAGE_DIR },
                { name: 'SPARKPLANE_STAGING_PORT', value: String(STAGING_DATA_PORT) },
                { name: 'SPARKPLANE_STAGING_METRICS_PORT', value: String(STAGING_METRICS_PORT) },
                { name: 'SPARKPLANE_STAGING_MAX_UPLOAD', value: spec.maxFileSize ?? '2Gi' },
                { name: 'SPARKPLANE_STAGING_TTL', value: spec.retention ?? '7d' },
                { name: 'SPARKPLANE_STAGING_TOKENS_SECRET', value: names.tokens },
                { name: 'SPARKPLANE_STAGING_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              ],
              ports: [
                { name: STAGING_PORT_NAME, containerPort: STAGING_DATA_PORT, protocol: 'TCP' },
                { name: 'metrics', containerPort: STAGING_METRICS_PORT, protocol: 'TCP' },
              ],
              readinessProbe: probe('/readyz'),
              livenessProbe: { ...probe('/healthz'), failureThreshold: 3 },
              resources: { requests: { cpu: spec.cpuRequest ?? '100m', memory }, limits: { memory } },
              securityContext: containerSecurityContext({}, SPARKPLANE_IMAGE_UID),
              volumeMounts: [{ name: 'data', mountPath: STAGING_STORAGE_DIR }],
            }],
            volumes: [{ name: 'data', persistentVolumeClaim: { claimName: names.data } }],
          }),
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(names.server),
      spec: { selector: selector(names.server), ports: [{ name: STAGING_PORT_NAME, port: STAGING_DATA_PORT, targetPort: STAGING_PORT_NAME, protocol: 'TCP' }] },
    },
    ingressNetworkPolicy(meta(names.server), selector(names.server), [
      // Driver pods of this namespace fetch; executors get the files from their driver.
      { from: [{ podSelector: { matchLabels: { 'spark-role': 'driver' }, matchExpressions: [{ key: 'sparkplane.io/application', operator: 'Exists' }] } }], ports: [{ port: STAGING_DATA_PORT, protocol: 'TCP' }] },
      { from: spec.apiServerPeers.map(networkPolicyPeer), ports: [{ port: STAGING_DATA_PORT, protocol: 'TCP' }] },
      ...(spec.metricsPeers?.length ? [{ from: spec.metricsPeers.map(networkPolicyPeer), ports: [{ port: STAGING_METRICS_PORT, protocol: 'TCP' as const }] }] : []),
    ]),
  ];
}
