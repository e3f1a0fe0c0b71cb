// renderPrometheus: validate, then every object of the Prometheus server: its identity, pod
// discovery rights in exactly the target namespaces, its configuration, claim, Deployment, Service
// and NetworkPolicy; and the optional Pushgateway.
import { compact } from '../compact';
import { ingressNetworkPolicy, networkPolicyPeer } from '../network-policy';
import type { KubeObject } from '../kube-objects';
import { podPlacementFields } from '../pod-placement';
import { containerSecurityContext, restrictedPodSecurityContext } from '../pod-security';
import { sha256 } from '../spark-application/driver-job';
import { SPARK_ROLE_LABEL } from '../spark-application/naming';
import { toYaml } from '../yaml';
import type { PrometheusSpec } from './prometheus-spec';
import { validatePrometheus } from './prometheus-validate';
import { sparkplaneScrapeConfigs } from './scrape-configs';
import { sparkplaneAlertRules } from './alert-rules';
import { grafanaDashboardConfigMap } from './grafana-dashboard';

/** The official images' user, `nobody`. */
const PROMETHEUS_UID = 65534;
/** The server's port. */
export const PROMETHEUS_PORT = 9090;
/** The Pushgateway's port. */
export const PUSHGATEWAY_PORT = 9091;
const CONFIG_DIR = '/etc/prometheus';
/** The rule file, in the configuration's ConfigMap. */
export const ALERT_RULES_FILE = 'sparkplane-alerts.yml';
const DATA_DIR = '/prometheus';

/** Names of a Prometheus component's objects. */
export function prometheusNames(spec: Pick<PrometheusSpec, 'name'>): { server: string; config: string; data: string; discovery: string; pushgateway: string } {
  const server = spec.name ?? 'prometheus';
  return { server, config: `${server}-config`, data: `${server}-data`, discovery: `${server}-discovery`, pushgateway: `${server}-pushgateway` };
}

/** The in-cluster URL of the component's Pushgateway, for `monitoring.pushgateway.url`; undefined without one. */
export function prometheusPushgatewayUrl(spec: Pick<PrometheusSpec, 'name' | 'namespace' | 'pushgateway'>): string | undefined {
  return spec.pushgateway ? `http://${prometheusNames(spec).pushgateway}.${spec.namespace ?? 'monitoring'}.svc:${PUSHGATEWAY_PORT}` : undefined;
}

/** prometheus.yml: the library's scrape configurations, the server itself, and the Pushgateway. */
export function prometheusConfig(spec: PrometheusSpec): string {
  const interval = spec.scrapeInterval ?? '15s';
  return toYaml({
    global: { scrape_interval: interval, evaluation_interval: interval },
    // Beside the configuration (a relative path is the configuration file's folder).
    rule_files: [ALERT_RULES_FILE],
    scrape_configs: [
      { job_name: 'prometheus', static_configs: [{ targets: [`localhost:${PROMETHEUS_PORT}`] }] },
      ...sparkplaneScrapeConfigs(spec.targetNamespaces, interval),
      // Pushed series keep the job and labels their pusher gave them.
      ...(spec.pushgateway ? [{ job_name: 'pushgateway', honor_labels: true, static_configs: [{ targets: [new URL(prometheusPushgatewayUrl(spec)!).host] }] }] : []),
      ...(spec.kubeStateMetrics ? [{ job_name: 'kube-state-metrics', static_configs: [{ targets: [spec.kubeStateMetrics] }] }] : []),
    ],
  });
}

/** Every Kubernetes object of the Prometheus component. Throws `SparkplaneValidationError` on bad input. */
export function renderPrometheus(spec: PrometheusSpec): KubeObject[] {
  validatePrometheus(spec);
  const names = prometheusNames(spec);
  const namespace = spec.namespace ?? 'monitoring';
  const base = { ...spec.labels, 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/instance': names.server, 'app.kubernetes.io/managed-by': 'sparkplane' };
  const meta = (name: string, component: string, ns = namespace) => ({ name, namespace: ns, labels: { ...base, 'app.kubernetes.io/component': component } });
  const serverSelector = { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/instance': names.server, 'app.kubernetes.io/component': 'server' };
  const pushgatewaySelector = { ...serverSelector, 'app.kubernetes.io/component': 'pushgateway' };
  const config = prometheusConfig(spec);
  const rules = toYaml({ groups: sparkplaneAlertRules() });
  const subject = [{ kind: 'ServiceAccount', name: names.server, namespace }];
  // Pod discovery (role: pod) lists and watches pods; nothing else.
  const discoveryRules = [{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] }];
  const rbac: KubeObject[] = spec.targetNamespaces === '*'
    ? [
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `${namespace}-${names.discovery}`, labels: meta('', 'server').labels }, rules: discoveryRules },
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: `${namespace}-${names.discovery}`, labels: meta('', 'server').labels }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${namespace}-${names.discovery}` }, subjects: subject },
      ]
    : spec.targetNamespaces.flatMap((target) => [
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta(names.discovery, 'server', target), rules: discoveryRules },
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta(names.discovery, 'server', target), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: names.discovery }, subjects: subject },
      ]);
  const pullPolicy = spec.imagePullPolicy ?? 'IfNotPresent';
  const securityContext = containerSecurityContext({}, PROMETHEUS_UID);
  const memory = spec.memory ?? '2Gi';
  const probe = (path: string) => ({ httpGet: { path, port: 'web' }, periodSeconds: 10, timeoutSeconds: 5 });
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(names.server, 'server'), automountServiceAccountToken: false },
    ...rbac,
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(names.config, 'server'), data: { 'prometheus.yml': config, [ALERT_RULES_FILE]: rules } },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: meta(names.data, 'server'),
      spec: compact({ accessModes: ['ReadWriteOnce'], storageClassName: spec.storageClassName, resources: { requests: { storage: spec.storageSize ?? '20Gi' } } }),
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(names.server, 'server'),
      spec: {
        replicas: 1,
        selector: { matchLabels: serverSelector },
        // One writer of the TSDB on a ReadWriteOnce claim.
        strategy: { type: 'Recreate' },
        template: {
          // The configuration is read at start: a change restarts the server.
          metadata: { labels: { ...base, ...serverSelector }, annotations: { 'sparkplane.io/config-sha256': sha256(config + rules) } },
          spec: {
            serviceAccountName: names.server,
            // Discovery talks to the API server with the pod's token.
            automountServiceAccountToken: true,
            enableServiceLinks: false,
            securityContext: restrictedPodSecurityContext(PROMETHEUS_UID),
            ...podPlacementFields(spec),
            containers: [{
              name: 'prometheus',
              image: spec.image ?? 'prom/prometheus:v3.16.0',
              imagePullPolicy: pullPolicy,
              args: [
                `--config.file=${CONFIG_DIR}/prometheus.yml`,
                `--storage.tsdb.path=${DATA_DIR}`,
                `--storage.tsdb.retention.time=${spec.retention ?? '15d'}`,
                ...(spec.retentionSize ? [`--storage.tsdb.retention.size=${spec.retentionSize}`] : []),
                `--web.listen-address=:${PROMETHEUS_PORT}`,
              ],
              ports: [{ name: 'web', containerPort: PROMETHEUS_PORT, protocol: 'TCP' }],
              readinessProbe: probe('/-/ready'),
              livenessProbe: { ...probe('/-/healthy'), failureThreshold: 6 },
              // Replaying a large write-ahead log at start takes a while.
              startupProbe: { ...probe('/-/ready'), failureThreshold: 60 },
              resources: { requests: { cpu: spec.cpuRequest ?? '250m', memory }, limits: { memory } },
              securityContext,
              volumeMounts: [{ name: 'config', mountPath: CONFIG_DIR, readOnly: true }, { name: 'data', mountPath: DATA_DIR }],
            }],
            volumes: [{ name: 'config', configMap: { name: names.config } }, { name: 'data', persistentVolumeClaim: { claimName: names.data } }],
          },
        },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: meta(names.server, 'server'), spec: { selector: serverSelector, ports: [{ name: 'web', port: PROMETHEUS_PORT, targetPort: 'web', protocol: 'TCP' }] } },
    ingressNetworkPolicy(meta(names.server, 'server'), serverSelector, [{ from: [{ podSelector: {} }, ...(spec.queryPeers ?? []).map(networkPolicyPeer)], ports: [{ port: PROMETHEUS_PORT, protocol: 'TCP' }] }]),
    ...(spec.pushgateway ? pushgatewayObjects(spec, meta(names.pushgateway, 'pushgateway'), pushgatewaySelector, serverSelector, pullPolicy) : []),
    // For a Grafana whose dashboard sidecar watches this namespace.
    grafanaDashboardConfigMap(namespace, spec.labels),
  ];
}

function pushgatewayObjects(
  spec: PrometheusSpec, metadata: { name: string; namespace: string; labels: Record<string, string> },
  selector: Record<string, string>, serverSelector: Record<string, string>, pullPolicy: string,
): KubeObject[] {
  const pushers = spec.targetNamespaces === '*'
    ? [{ namespaceSelector: {}, podSelector: { matchLabels: { [SPARK_ROLE_LABEL]: 'driver' } } }]
    : spec.targetNamespaces.map((ns) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } }, podSelector: { matchLabels: { [SPARK_ROLE_LABEL]: 'driver' } } }));
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata,
      spec: {
        replicas: 1,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: { ...metadata.labels, ...selector } },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: restrictedPodSecurityContext(PROMETHEUS_UID),
            ...podPlacementFields(spec),
            containers: [{
              name: 'pushgateway',
              image: spec.pushgateway?.image ?? 'prom/pushgateway:v1.11.3',
              imagePullPolicy: pullPolicy,
              args: [`--web.listen-address=:${PUSHGATEWAY_PORT}`],
              ports: [{ name: 'push', containerPort: PUSHGATEWAY_PORT, protocol: 'TCP' }],
              readinessProbe: { httpGet: { path: '/-/ready', port: 'push' }, periodSeconds: 10 },
              livenessProbe: { httpGet: { path: '/-/healthy', port: 'push' }, periodSeconds: 10 },
              resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } },
              securityContext: containerSecurityContext({}, PROMETHEUS_UID),
            }],
          },
        },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata, spec: { selector, ports: [{ name: 'push', port: PUSHGATEWAY_PORT, targetPort: 'push', protocol: 'TCP' }] } },
    // Driver pods of the target namespaces push; the server scrapes.
    ingressNetworkPolicy(metadata, selector, [{ from: [...pushers, { podSelector: { matchLabels: serverSelector } }], ports: [{ port: PUSHGATEWAY_PORT, protocol: 'TCP' }] }]),
  ];
}
