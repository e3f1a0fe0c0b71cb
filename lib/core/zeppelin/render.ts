// renderZeppelin: validate, resolve, and return every object of a Zeppelin server and its Spark
// interpreter: the server's identity and least-privilege Role, its settings, shiro.ini without
// users, the claim, the Deployment, Service, optional Ingress; the interpreter's identity (the
// driver Role of SparkApplication), its Spark ConfigMap (executor pod template), the interpreter pod
// template the launcher renders, and the NetworkPolicies.
import { ALLOCATOR_METRICS_PORT } from '../allocator/protocol';
import { compact } from '../compact';
import { ingressNetworkPolicy, networkPolicyPeer } from '../network-policy';
import { podPlacementFields } from '../pod-placement';
import type { KubeObject } from '../kube-objects';
import { containerSecurityContext, restrictedPodSecurityContext } from '../pod-security';
import { sparkDurationMs } from '../quantity';
import { driverPolicyRules } from '../spark-application/driver-rbac';
import { sha256 } from '../spark-application/driver-job';
import { renderExecutorPodTemplate } from '../spark-application/executor-pod-template';
import { EXECUTOR_POD_TEMPLATE_FILE, SPARK_PROPERTIES_FILE } from '../spark-application/layout';
import { APPLICATION_LABEL, applicationLabels, SPARK_CONF_DIGEST_ANNOTATION, SPARK_ROLE_LABEL } from '../spark-application/naming';
import { formatJavaProperties } from '../spark-application/spark-properties';
import { assertEmittedKeysExist } from '../spark/conf-keys';
import { toYaml } from '../yaml';
import { renderInterpreterTemplate, ZEPPELIN_INTERPRETER_LABEL } from './interpreter-template';
import {
  DEFAULT_ZEPPELIN_IMAGE, INTERPRETER_TEMPLATE_FILE, ZEPPELIN_CONF_DIR, ZEPPELIN_DATA_DIR, ZEPPELIN_HOME, ZEPPELIN_HTTP_PORT,
  ZEPPELIN_INTERPRETER_PORT, ZEPPELIN_SERVER_RPC_PORT, ZEPPELIN_SPARK_BLOCK_MANAGER_PORT, ZEPPELIN_SPARK_DRIVER_PORT, ZEPPELIN_TEMPLATE_DIR,
  ZEPPELIN_UID, zeppelinNames,
} from './layout';
import { SHIRO_INI_WITHOUT_USERS } from './shiro';
import { INTERPRETER_SPARK_HOME, interpreterSettingProperties, interpreterSparkProperties, resolveInterpreterApplication, ZEPPELIN_SPARK_MASTER } from './spark-interpreter';
import type { ZeppelinSpec } from './spec';
import { validateZeppelin } from './validate';

/** The seed of the `spark` interpreter setting, in its ConfigMap. */
const SETTINGS_SEED_FILE = 'spark-setting.json';
/** Where the seed is mounted in the zeppelin-settings init container. */
const SETTINGS_SEED_PATH = '/etc/sparkplane/zeppelin-settings';

/** Labels that select the server's pod. */
export function zeppelinServerSelector(name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': 'zeppelin', 'app.kubernetes.io/instance': name, 'app.kubernetes.io/component': 'server' };
}

/** Every Kubernetes object of a Zeppelin. Throws `SparkplaneValidationError` on bad input. */
export function renderZeppelin(spec: ZeppelinSpec): KubeObject[] {
  validateZeppelin(spec);
  const app = resolveInterpreterApplication(spec);
  const names = zeppelinNames(spec.name);
  const namespace = app.namespace;
  const image = spec.image ?? DEFAULT_ZEPPELIN_IMAGE;
  const pullPolicy = spec.imagePullPolicy ?? 'IfNotPresent';
  const labels = { ...spec.labels, 'app.kubernetes.io/name': 'zeppelin', 'app.kubernetes.io/instance': spec.name, 'app.kubernetes.io/managed-by': 'sparkplane' };
  const meta = (name: string, component: string) => ({ name, namespace, labels: { ...labels, 'app.kubernetes.io/component': component } });

  const sparkProperties = interpreterSparkProperties(app);
  assertEmittedKeysExist(sparkProperties, app.version.line, spec.spark.sparkConf ?? {});
  const executorPodTemplate = toYaml(renderExecutorPodTemplate(app));
  const properties = formatJavaProperties(sparkProperties);
  const interpreterTemplate = renderInterpreterTemplate(app, image, pullPolicy, sha256(properties + executorPodTemplate));
  const settings = serverSettings(spec, app.image);
  const seed = `${JSON.stringify({ setting: 'spark', group: 'spark', properties: interpreterSettingProperties(sparkProperties) }, null, 2)}\n`;
  // The server reads its settings, the seed and the users only when it starts: a change restarts it.
  const configDigest = sha256(JSON.stringify([settings, seed, interpreterTemplate, spec.auth.users ? SHIRO_INI_WITHOUT_USERS : '']));
  const roleRef = (name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name });
  const serverSelector = zeppelinServerSelector(spec.name);
  const interpreterSelector = { [ZEPPELIN_INTERPRETER_LABEL]: spec.name, [SPARK_ROLE_LABEL]: 'driver' };
  const executorSelector = { [APPLICATION_LABEL]: spec.name, [SPARK_ROLE_LABEL]: 'executor' };

  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(names.server, 'server'), automountServiceAccountToken: false },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta(names.server, 'server'),
      // Exactly the launcher's calls (K8sRemoteInterpreterProcess, fabric8 6.13): a GET of each
      // template object before creating and before deleting it, createOrReplace's create (update only
      // after a 409, which random pod names never meet), a GET of the pod for its phase, a watch by
      // name (a fieldSelector watch: no list), and the deletes. Pod names are random, so no
      // resourceNames can narrow it.
      rules: [
        { apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete', 'get', 'watch'] },
        { apiGroups: [''], resources: ['services'], verbs: ['create', 'delete', 'get'] },
      ],
    },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta(names.server, 'server'), roleRef: roleRef(names.server), subjects: [{ kind: 'ServiceAccount', name: names.server, namespace }] },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { ...meta(names.interpreter, 'interpreter'), labels: applicationLabels(spec.name, spec.labels, 'interpreter') }, automountServiceAccountToken: false },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta(names.interpreter, 'interpreter'), rules: driverPolicyRules(app) },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta(names.interpreter, 'interpreter'), roleRef: roleRef(names.interpreter), subjects: [{ kind: 'ServiceAccount', name: names.interpreter, namespace }] },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: app.names.configMap, namespace, labels: applicationLabels(spec.name, spec.labels, 'interpreter') },
      // spark.properties is for reading: the interpreter gets the same keys on spark-submit's command line.
      data: { [SPARK_PROPERTIES_FILE]: properties, [EXECUTOR_POD_TEMPLATE_FILE]: executorPodTemplate },
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(names.interpreterTemplate, 'interpreter'), data: { [INTERPRETER_TEMPLATE_FILE]: interpreterTemplate } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(names.serverConfig, 'server'), data: settings },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(names.interpreterSettings, 'server'), data: { [SETTINGS_SEED_FILE]: seed } },
    ...(spec.auth.users ? [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(names.shiro, 'server'), data: { 'shiro-without-users.ini': SHIRO_INI_WITHOUT_USERS } }] : []),
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: meta(names.data, 'server'),
      spec: compact({ accessModes: ['ReadWriteOnce'], storageClassName: spec.storageClassName, resources: { requests: { storage: spec.storageSize ?? '10Gi' } } }),
    },
    serverDeployment(spec, image, pullPolicy, meta(names.server, 'server'), serverSelector, configDigest),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(names.server, 'server'),
      spec: {
        selector: serverSelector,
        ports: [
          { name: 'http', port: ZEPPELIN_HTTP_PORT, targetPort: 'http', protocol: 'TCP' },
          // The interpreters' callback; the launcher looks the Service up by this port name.
          { name: 'rpc', port: ZEPPELIN_SERVER_RPC_PORT, targetPort: 'rpc', protocol: 'TCP' },
        ],
      },
    },
    ...(spec.ingress ? [ingress(spec, meta(names.server, 'server'))] : []),
    ingressNetworkPolicy(meta(names.server, 'server'), serverSelector, [
      { ...(spec.webPeers?.length ? { from: spec.webPeers.map(networkPolicyPeer) } : {}), ports: [{ port: ZEPPELIN_HTTP_PORT, protocol: 'TCP' }] },
      { from: [{ podSelector: { matchLabels: interpreterSelector } }], ports: [{ port: ZEPPELIN_SERVER_RPC_PORT, protocol: 'TCP' }] },
    ]),
    ingressNetworkPolicy(meta(names.interpreter, 'interpreter'), interpreterSelector, [
      // Only the server drives an interpreter (and may proxy its Spark UI).
      { from: [{ podSelector: { matchLabels: serverSelector } }], ports: [{ port: ZEPPELIN_INTERPRETER_PORT, protocol: 'TCP' }, { port: app.driver.uiPort, protocol: 'TCP' }] },
      // Prometheus scrapes a monitored interpreter: Spark's metrics on the UI port, the allocator's own.
      ...(spec.metricsPeers?.length ? [{ from: spec.metricsPeers.map(networkPolicyPeer), ports: [{ port: app.driver.uiPort, protocol: 'TCP' as const }, ...(app.allocator ? [{ port: ALLOCATOR_METRICS_PORT, protocol: 'TCP' as const }] : [])] }] : []),
      // Executors reach their driver (never on the host network: validation refuses the shuffle service).
      { from: [{ podSelector: { matchLabels: executorSelector } }], ports: [{ port: ZEPPELIN_SPARK_DRIVER_PORT, protocol: 'TCP' }, { port: ZEPPELIN_SPARK_BLOCK_MANAGER_PORT, protocol: 'TCP' }] },
    ]),
  ];
}

/** Milliseconds of a (validated) Spark duration, as Zeppelin's settings take them. */
function ms(duration: string): string {
  return String(sparkDurationMs(duration));
}

/**
 * The server's settings, as environment: Zeppelin reads each setting from the env var named after
 * it before zeppelin-site.xml (ZeppelinConfiguration), and passes them all to its interpreters.
 * Nothing secret: credentials come from Secrets, as env vars of their own.
 */
export function serverSettings(spec: ZeppelinSpec, sparkImage: string): Record<string, string | undefined> {
  const names = zeppelinNames(spec.name);
  const { git, s3 } = spec.notebookStorage ?? {};
  return compact({
    ZEPPELIN_ADDR: '0.0.0.0',
    ZEPPELIN_PORT: String(ZEPPELIN_HTTP_PORT),
    ZEPPELIN_CONF_DIR,
    // Kubernetes mode: interpreters are pods from the template, which call back to the Service on the pinned port.
    ZEPPELIN_RUN_MODE: 'k8s',
    ZEPPELIN_K8S_SERVICE_NAME: names.server,
    ZEPPELIN_SERVER_RPC_PORTRANGE: `${ZEPPELIN_SERVER_RPC_PORT}:${ZEPPELIN_SERVER_RPC_PORT}`,
    ZEPPELIN_K8S_TEMPLATE_DIR: ZEPPELIN_TEMPLATE_DIR,
    ZEPPELIN_K8S_CONTAINER_IMAGE: spec.image ?? DEFAULT_ZEPPELIN_IMAGE,
    // The launcher sets spark.kubernetes.container.image (the executors' image) from this.
    ZEPPELIN_K8S_SPARK_CONTAINER_IMAGE: sparkImage,
    ZEPPELIN_K8S_TIMEOUT_DURING_PENDING: 'true',
    ZEPPELIN_INTERPRETER_CONNECT_TIMEOUT: ms(spec.interpreterStartTimeout ?? '10min'),
    // Only the Spark group: the template renders Spark driver pods.
    ZEPPELIN_INTERPRETER_INCLUDES: 'spark',
    // The Spark interpreter setting's defaults for spark.master and SPARK_HOME (their envName).
    SPARK_MASTER: ZEPPELIN_SPARK_MASTER,
    SPARK_HOME: INTERPRETER_SPARK_HOME,
    // Idle interpreters stop, and the launcher deletes their pods (and so their executors).
    ZEPPELIN_INTERPRETER_LIFECYCLE_MANAGER_CLASS: 'org.apache.zeppelin.interpreter.lifecycle.TimeoutLifecycleManager',
    ZEPPELIN_INTERPRETER_LIFECYCLE_MANAGER_TIMEOUT_THRESHOLD: ms(spec.interpreterIdleTimeout ?? '1h'),
    ZEPPELIN_NOTEBOOK_DIR: `${ZEPPELIN_DATA_DIR}/notebook`,
    ZEPPELIN_CONFIG_FS_DIR: `${ZEPPELIN_DATA_DIR}/conf`,
    ZEPPELIN_NOTEBOOK_STORAGE: git
      ? 'org.apache.zeppelin.notebook.repo.GitHubNotebookRepo'
      : s3 ? 'org.apache.zeppelin.notebook.repo.S3NotebookRepo' : 'org.apache.zeppelin.notebook.repo.GitNotebookRepo',
    ZEPPELIN_NOTEBOOK_GIT_REMOTE_URL: git?.remoteUrl,
    ZEPPELIN_NOTEBOOK_GIT_REMOTE_USERNAME: git ? git.username ?? 'token' : undefined,
    ZEPPELIN_NOTEBOOK_GIT_REMOTE_ORIGIN: git ? git.origin ?? 'origin' : undefined,
    ZEPPELIN_NOTEBOOK_S3_BUCKET: s3?.bucket,
    ZEPPELIN_NOTEBOOK_S3_USER: s3 ? s3.user ?? 'zeppelin' : undefined,
    ZEPPELIN_NOTEBOOK_S3_ENDPOINT: s3?.endpoint,
    ZEPPELIN_NOTEBOOK_S3_PATH_STYLE_ACCESS: s3?.pathStyleAccess ? 'true' : undefined,
    // The browser's origin behind the Ingress; empty allows none but the server's own.
    ZEPPELIN_ALLOWED_ORIGINS: spec.ingress ? `https://${spec.ingress.host}` : undefined,
  });
}

/** Mount path of the Secret with the users or the whole shiro.ini, in the prepare-conf container. */
const AUTH_SECRET_PATH = '/etc/sparkplane/zeppelin-auth';
/** Mount path of shiro.ini's sections without users. */
const SHIRO_BASE_PATH = '/etc/sparkplane/zeppelin-shiro';

/** The prepare-conf script: Zeppelin's own conf, then shiro.ini assembled in memory (or none, for anonymous access). */
function prepareConfScript(spec: ZeppelinSpec): string {
  const copy = `set -e; cp -R ${ZEPPELIN_HOME}/conf/. ${ZEPPELIN_CONF_DIR}/; rm -f ${ZEPPELIN_CONF_DIR}/shiro.ini`;
  const shiro = `${ZEPPELIN_CONF_DIR}/shiro.ini`;
  if (spec.auth.users) {
    return `${copy}; { cat ${SHIRO_BASE_PATH}/shiro-without-users.ini; printf '\\n[users]\\n'; grep -v '^[[:space:]]*\\[users\\][[:space:]]*$' ${AUTH_SECRET_PATH}/users || true; } > ${shiro}; chmod 0400 ${shiro}`;
  }
  if (spec.auth.shiroIni) return `${copy}; cp ${AUTH_SECRET_PATH}/shiro.ini ${shiro}; chmod 0400 ${shiro}`;
  return copy;
}

function serverDeployment(spec: ZeppelinSpec, image: string, pullPolicy: string, metadata: { name: string; namespace: string; labels: Record<string, string> }, selector: Record<string, string>, configDigest: string): KubeObject {
  const names = zeppelinNames(spec.name);
  const memory = spec.memory ?? '2Gi';
  const auth = spec.auth.users ?? spec.auth.shiroIni;
  const authFile = spec.auth.users ? 'users' : 'shiro.ini';
  const scratch = ['logs', 'run', 'webapps', 'local-repo'];
  const probe = (path: string) => ({ httpGet: { path, port: 'http' }, periodSeconds: 10, timeoutSeconds: 5 });
  const { git, s3 } = spec.notebookStorage ?? {};
  const securityContext = containerSecurityContext({}, ZEPPELIN_UID);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: {
      replicas: 1,
      selector: { matchLabels: selector },
      // One writer of the claim, and one owner of the interpreter pods: the old server goes first
      // (and, by the owner references, its interpreters with it).
      strategy: { type: 'Recreate' },
      template: {
        metadata: { labels: { ...metadata.labels, ...selector }, annotations: { [SPARK_CONF_DIGEST_ANNOTATION]: configDigest } },
        spec: compact({
          serviceAccountName: names.server,
          // The launcher's Kubernetes client uses the token and reads its namespace next to it.
          automountServiceAccountToken: true,
          enableServiceLinks: false,
          securityContext: restrictedPodSecurityContext(ZEPPELIN_UID),
          ...podPlacementFields(spec),
          initContainers: [{
            name: 'interpreter-settings',
            image: spec.sparkplaneImage,
            imagePullPolicy: pullPolicy,
            args: ['zeppelin-settings', '--seed', `${SETTINGS_SEED_PATH}/${SETTINGS_SEED_FILE}`, '--dir', `${ZEPPELIN_DATA_DIR}/conf`],
            volumeMounts: [{ name: 'data', mountPath: ZEPPELIN_DATA_DIR }, { name: 'interpreter-settings', mountPath: SETTINGS_SEED_PATH, readOnly: true }],
            // Zeppelin's user: it rewrites the file at start.
            securityContext,
          }, {
            name: 'prepare-conf',
            image,
            imagePullPolicy: pullPolicy,
            command: ['sh', '-c', prepareConfScript(spec)],
            volumeMounts: [
              { name: 'conf', mountPath: ZEPPELIN_CONF_DIR },
              ...(auth ? [{ name: 'auth', mountPath: AUTH_SECRET_PATH, readOnly: true }] : []),
              ...(spec.auth.users ? [{ name: 'shiro', mountPath: SHIRO_BASE_PATH, readOnly: true }] : []),
            ],
            securityContext,
          }],
          containers: [{
            name: 'zeppelin-server',
            image,
            imagePullPolicy: pullPolicy,
            envFrom: [{ configMapRef: { name: names.serverConfig } }, ...(s3?.credentialsSecret ? [{ secretRef: { name: s3.credentialsSecret } }] : [])],
            env: [
              // The launcher makes this pod the owner of the interpreter pods.
              { name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
              { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              ...(git ? [{ name: 'ZEPPELIN_NOTEBOOK_GIT_REMOTE_ACCESS_TOKEN', valueFrom: { secretKeyRef: { name: git.accessToken.secretName, key: git.accessToken.key } } }] : []),
            ],
            ports: [
              { name: 'http', containerPort: ZEPPELIN_HTTP_PORT, protocol: 'TCP' },
              { name: 'rpc', containerPort: ZEPPELIN_SERVER_RPC_PORT, protocol: 'TCP' },
            ],
            // Outside Shiro's /api/*: the probes need no credentials.
            startupProbe: { ...probe('/health/liveness'), failureThreshold: 30 },
            readinessProbe: probe('/health/readiness'),
            livenessProbe: { ...probe('/health/liveness'), failureThreshold: 3 },
            resources: { requests: { cpu: spec.cpuRequest ?? '500m', memory }, limits: { memory } },
            securityContext,
            volumeMounts: [
              { name: 'conf', mountPath: ZEPPELIN_CONF_DIR },
              { name: 'data', mountPath: ZEPPELIN_DATA_DIR },
              { name: 'interpreter-template', mountPath: `${ZEPPELIN_TEMPLATE_DIR}/interpreter`, readOnly: true },
              { name: 'tmp', mountPath: '/tmp' },
              ...scratch.map((dir) => ({ name: dir, mountPath: `${ZEPPELIN_HOME}/${dir}` })),
            ],
          }],
          volumes: [
            // In memory: shiro.ini may hold passwords, which must not reach the node's disk.
            { name: 'conf', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
            { name: 'data', persistentVolumeClaim: { claimName: names.data } },
            { name: 'interpreter-template', configMap: { name: names.interpreterTemplate } },
            { name: 'interpreter-settings', configMap: { name: names.interpreterSettings } },
            ...(auth ? [{ name: 'auth', secret: { secretName: auth.secretName, items: [{ key: auth.key, path: authFile }], defaultMode: 0o440 } }] : []),
            ...(spec.auth.users ? [{ name: 'shiro', configMap: { name: names.shiro } }] : []),
            { name: 'tmp', emptyDir: {} },
            ...scratch.map((dir) => ({ name: dir, emptyDir: {} })),
          ],
        }),
      },
    },
  };
}

function ingress(spec: ZeppelinSpec, metadata: { name: string; namespace: string; labels: Record<string, string> }): KubeObject {
  const { host, tlsSecretName, className, annotations } = spec.ingress!;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: compact({ ...metadata, annotations: annotations && Object.keys(annotations).length ? annotations : undefined }),
    spec: compact({
      ingressClassName: className,
      tls: [{ hosts: [host], secretName: tlsSecretName }],
      rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: zeppelinNames(spec.name).server, port: { name: 'http' } } } }] } }],
    }),
  };
}
