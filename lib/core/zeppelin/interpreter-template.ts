// The interpreter pod template that Zeppelin's launcher renders with Jinjava for each interpreter it
// starts (K8sSpecTemplate; upstream's k8s/interpreter/100-interpreter-spec.yaml). It keeps upstream's
// template variables and objects (the Pod and its headless Service, owned by the server pod) and
// changes what sparkplane owns:
// - the pod is the Spark application's driver pod (driverPodTemplate), so resources, placement,
//   the allocator, staging and the executor template come from the same model as SparkApplication;
// - its container runs the Spark image (the Java, Python and R the executors run), with Zeppelin
//   copied in from the Zeppelin image by an init container; upstream does the reverse, which pins the
//   driver to the Zeppelin image's Java 11 (Spark 4 needs 17) and its Python (PySpark needs the
//   executors' minor version);
// - the ServiceAccount is the interpreter's, whatever an interpreter setting says, and no per-pod
//   Role or RoleBinding is created (the server would need `bind`);
// - every pod passes Pod Security "restricted"; labels carry only the generated pod name (user and
//   setting names are not valid label values in general, so they go in annotations);
// - environment values are JSON-quoted, so no value can break or retype the YAML.
import { driverPodTemplate } from '../spark-application/driver-job';
import { sparkContainerSecurityContext } from '../spark-application/spark-pod';
import type { ResolvedSparkApplication } from '../spark-application/resolve';
import { toYaml } from '../yaml';
import type { KubeContainer } from '../kube-objects';
import {
  ZEPPELIN_HOME, ZEPPELIN_INTERPRETER_PORT, ZEPPELIN_SPARK_BLOCK_MANAGER_PORT, ZEPPELIN_SPARK_DRIVER_PORT, ZEPPELIN_SPARK_UI_PORT,
} from './layout';

/** Name of the init container that copies Zeppelin into the interpreter pod. */
export const COPY_ZEPPELIN_CONTAINER_NAME = 'copy-zeppelin';
/** Label that selects the interpreter pods of one Zeppelin. */
export const ZEPPELIN_INTERPRETER_LABEL = 'sparkplane.io/zeppelin-interpreter';

/**
 * A launcher variable, inside a YAML string: a marker no YAML or user text contains, replaced by
 * the Jinja expression once the YAML is written.
 */
const variable = (name: string) => `\u2983${name}\u2984`;
const POD_NAME = variable('zeppelin.k8s.interpreter.pod.name');
const NAMESPACE = variable('zeppelin.k8s.interpreter.namespace');
const GROUP_NAME = variable('zeppelin.k8s.interpreter.group.name');
const ENVS_MARKER = '\u2983envs\u2984';

/** Escapes Jinja's delimiters in rendered text, so a user's value reaches the pod as written. */
function escapeJinja(text: string): string {
  return text.replace(/\{[{%#]/g, (delimiter) => `{{ '${delimiter}' }}`);
}

/** The interpreter pod: the driver pod of `app`, running Zeppelin's interpreter.sh. */
function interpreterPod(app: ResolvedSparkApplication, zeppelinImage: string, zeppelinPullPolicy: string, digest: string): Record<string, unknown> {
  const template = driverPodTemplate(app, digest);
  const spec = template.spec as { containers: KubeContainer[]; initContainers?: KubeContainer[]; volumes: Array<Record<string, unknown>> };
  const [spark, ...sidecars] = spec.containers;
  const { args: _driverArguments, ...sparkContainer } = spark as KubeContainer & { ports?: Array<Record<string, unknown>> };
  const interpreter: KubeContainer = {
    ...sparkContainer,
    name: 'interpreter',
    command: [
      `${ZEPPELIN_HOME}/bin/interpreter.sh`,
      '-d', `${ZEPPELIN_HOME}/interpreter/${GROUP_NAME}`,
      '-r', variable('zeppelin.k8s.interpreter.rpc.portRange'),
      '-c', variable('zeppelin.k8s.server.rpc.service'),
      '-p', variable('zeppelin.k8s.server.rpc.portRange'),
      '-i', variable('zeppelin.k8s.interpreter.group.id'),
      '-l', `${variable('zeppelin.k8s.interpreter.localRepo')}/${variable('zeppelin.k8s.interpreter.setting.name')}`,
      '-g', variable('zeppelin.k8s.interpreter.setting.name'),
    ],
    env: [
      ...(sparkContainer.env ?? []),
      { name: ENVS_MARKER },
    ],
    ports: [{ name: 'intp', containerPort: ZEPPELIN_INTERPRETER_PORT, protocol: 'TCP' }, ...(sparkContainer.ports ?? [])],
    volumeMounts: [{ name: 'zeppelin', mountPath: ZEPPELIN_HOME }, ...(sparkContainer.volumeMounts ?? [])],
  };
  const copyZeppelin: KubeContainer = {
    name: COPY_ZEPPELIN_CONTAINER_NAME,
    image: zeppelinImage,
    imagePullPolicy: zeppelinPullPolicy,
    // What interpreter.sh reads: its scripts, the configuration, the shaded interpreter API jar and
    // the group's own directory. The Spark group's jars are about 200 MB; the rest of the image is not copied.
    command: ['sh', '-c', `set -e; cd ${ZEPPELIN_HOME}; mkdir -p /copy/interpreter /copy/logs /copy/run; cp -R bin conf /copy/; cp interpreter/*.jar /copy/interpreter/; cp -R "interpreter/$GROUP" /copy/interpreter/`],
    env: [{ name: 'GROUP', value: GROUP_NAME }],
    volumeMounts: [{ name: 'zeppelin', mountPath: '/copy' }],
    securityContext: sparkContainerSecurityContext(app.driver),
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      namespace: NAMESPACE,
      name: POD_NAME,
      labels: { ...template.metadata.labels as Record<string, string>, app: POD_NAME, [ZEPPELIN_INTERPRETER_LABEL]: app.name },
      annotations: {
        ...template.metadata.annotations as Record<string, string>,
        'sparkplane.io/zeppelin-interpreter-group': variable('zeppelin.k8s.interpreter.group.id'),
        'sparkplane.io/zeppelin-interpreter-setting': variable('zeppelin.k8s.interpreter.setting.name'),
        'sparkplane.io/zeppelin-user': variable('zeppelin.k8s.interpreter.user'),
      },
    },
    spec: {
      ...spec,
      terminationGracePeriodSeconds: 30,
      initContainers: [copyZeppelin, ...(spec.initContainers ?? [])],
      containers: [interpreter, ...sidecars],
      volumes: [{ name: 'zeppelin', emptyDir: {} }, ...spec.volumes],
    },
  };
}

/** The headless Service the server reaches the interpreter through, and executors the driver. */
function interpreterService(): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: NAMESPACE, name: POD_NAME },
    spec: {
      clusterIP: 'None',
      selector: { app: POD_NAME },
      ports: [
        { name: 'intp', port: ZEPPELIN_INTERPRETER_PORT, protocol: 'TCP' },
        { name: 'spark-driver', port: ZEPPELIN_SPARK_DRIVER_PORT, protocol: 'TCP' },
        { name: 'spark-blockmanager', port: ZEPPELIN_SPARK_BLOCK_MANAGER_PORT, protocol: 'TCP' },
        { name: 'spark-ui', port: ZEPPELIN_SPARK_UI_PORT, protocol: 'TCP' },
      ],
    },
  };
}

/** Upstream's owner reference to the server pod, which the launcher binds only in the server's own namespace. */
const OWNER_REFERENCES = `{% if zeppelin.k8s.server.uid is defined %}
  ownerReferences:
  - apiVersion: v1
    kind: Pod
    name: "{{zeppelin.k8s.server.pod.name}}"
    uid: "{{zeppelin.k8s.server.uid}}"
    controller: false
    blockOwnerDeletion: false
{% endif %}`;

/** The Jinja text of one object: YAML with the launcher's variables, owner references after metadata.name. */
function jinjaObject(object: Record<string, unknown>, envNamesSetBySparkplane: readonly string[]): string {
  const yaml = escapeJinja(toYaml(object))
    .replace(/^(\s*)- name: "\u2983envs\u2984"$/m, (_line, indent: string) => [
      // Zeppelin's environment for the interpreter (INTERPRETER_GROUP_ID, SPARK_HOME, ZEPPELIN_SPARK_CONF
      // with the interpreter's Spark properties, and every upper-case interpreter property), after
      // sparkplane's, which it may not replace.
      '{% for key, value in zeppelin.k8s.envs.items() %}',
      // Jinjava 2.5 has no `not in`.
      `{% if key in ${JSON.stringify(envNamesSetBySparkplane)} %}{% else %}`,
      `${indent}- name: "{{key}}"`,
      `${indent}  value: {{ value|tojson }}`,
      '{% endif %}',
      '{% endfor %}',
    ].join('\n'))
    .replace(/\u2983([a-zA-Z0-9.]+)\u2984/g, '{{$1}}');
  return yaml.replace(/^(  name: "\{\{zeppelin\.k8s\.interpreter\.pod\.name\}\}")$/m, `$1\n${OWNER_REFERENCES}`);
}

/** The template file: the interpreter Pod and its Service, as Jinja for the launcher. */
export function renderInterpreterTemplate(app: ResolvedSparkApplication, zeppelinImage: string, zeppelinPullPolicy: string, digest: string): string {
  const pod = interpreterPod(app, zeppelinImage, zeppelinPullPolicy, digest);
  const container = (pod.spec as { containers: KubeContainer[] }).containers[0];
  const ours = (container.env ?? []).map((e) => e.name).filter((name) => name !== ENVS_MARKER);
  return `${jinjaObject(pod, ours)}---\n${jinjaObject(interpreterService(), ours)}`;
}
