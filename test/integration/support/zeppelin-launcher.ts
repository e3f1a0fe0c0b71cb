// What Zeppelin 0.12.1's Kubernetes launcher does with an interpreter template, for tests that
// cannot run Zeppelin itself (its jars are not served here): the template bindings built as
// K8sRemoteInterpreterProcess.getTemplateBindings builds them for a Spark interpreter (mirrored
// from the source cited in docs/zeppelin-research.md §1.3), rendered by the real Jinjava 2.5.4 that
// Zeppelin uses, through K8sSpecTemplate's own nesting (test/jvm/zeppelin-template).
import { createHash } from 'crypto';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { formatJavaProperties } from '../../../lib/core';
import { REPO_ROOT } from '../global-setup';
import type { KubeObj } from './kube';

const SOURCE = path.join(REPO_ROOT, 'test', 'jvm', 'zeppelin-template');
const OUT = path.join(REPO_ROOT, '.cache', 'zeppelin-template');

/** Builds the renderer (mvn package, Jinjava from Maven Central) unless its sources are unchanged; returns the class path. */
export function zeppelinTemplateClasspath(): string {
  const files = ['pom.xml', 'src/main/java/dev/sparkplane/test/RenderTemplate.java'];
  const hash = createHash('sha256');
  for (const file of files) hash.update(file).update(fs.readFileSync(path.join(SOURCE, file)));
  const stamp = hash.digest('hex');
  const stampFile = path.join(OUT, '.source-hash');
  const jar = path.join(OUT, 'zeppelin-template.jar');
  if (!(fs.existsSync(jar) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp)) {
    // Offline first (seconds when the local repository has everything), then from Maven Central.
    let build = spawnSync('mvn', ['-B', '-q', '-o', '-f', path.join(SOURCE, 'pom.xml'), 'package'], { encoding: 'utf8' });
    if (build.status !== 0) build = spawnSync('mvn', ['-B', '-q', '-f', path.join(SOURCE, 'pom.xml'), 'package'], { encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`building test/jvm/zeppelin-template failed (needs mvn and a JDK ≥ 11):\n${build.stdout}${build.stderr}`);
    fs.writeFileSync(stampFile, stamp);
  }
  return `${jar}${path.delimiter}${path.join(OUT, 'lib', '*')}`;
}

/** One Spark interpreter launch: what the server knows when K8sRemoteInterpreterProcess starts it. */
export interface InterpreterLaunch {
  /** The interpreter's (and the server's) namespace. */
  readonly namespace: string;
  /** The generated pod name (K8sUtils.generateK8sName(groupId) + 6 letters). */
  readonly podName: string;
  /** The server pod's name and UID (env POD_NAME, POD_UID): the owner of the interpreter's objects. */
  readonly serverPod: { readonly name: string; readonly uid: string };
  /** ZEPPELIN_K8S_SERVICE_NAME. */
  readonly serverService: string;
  /** The user who runs the paragraph. */
  readonly user: string;
  /** The interpreter setting's properties (here: the seed sparkplane writes into interpreter.json). */
  readonly properties: Readonly<Record<string, string>>;
  /** ZEPPELIN_K8S_SPARK_CONTAINER_IMAGE. */
  readonly sparkImage: string;
}

/**
 * The template bindings and env of a Spark interpreter launch, as getTemplateBindings builds them:
 * fixed launcher values, addSparkK8sProperties' overrides, ZEPPELIN_SPARK_CONF from every non-empty
 * `spark.*` property joined with "|", env from upper-case properties, and finally every interpreter
 * property as a binding of its own.
 */
export function launcherBindings(launch: InterpreterLaunch): { bindings: Record<string, string>; envs: Record<string, string>; sparkSubmitConf: string[] } {
  const properties: Record<string, string> = { ...launch.properties };
  // Moved out of the properties into SPARK_DRIVER_EXTRAJAVAOPTIONS_CONF (:332-344).
  const javaOptions = ['spark.driver.defaultJavaOptions', 'spark.driver.extraJavaOptions'].filter((k) => k in properties).map((k) => { const v = properties[k]; delete properties[k]; return v; });
  if (!properties['spark.master']?.startsWith('k8s://')) throw new Error('the launcher builds ZEPPELIN_SPARK_CONF only for a k8s:// master');
  Object.assign(properties, {
    'spark.master': 'k8s://https://kubernetes.default.svc',
    'spark.submit.deployMode': 'client',
    'spark.kubernetes.namespace': launch.namespace,
    'spark.kubernetes.driver.pod.name': launch.podName,
    'spark.kubernetes.container.image': properties['zeppelin.k8s.spark.container.image'] ?? launch.sparkImage,
    'spark.driver.bindAddress': '0.0.0.0',
    'spark.driver.host': `${launch.podName}.${launch.namespace}.svc`,
    'spark.driver.port': '22321',
    'spark.blockManager.port': '22322',
  });
  const sparkSubmitConf = Object.entries(properties).filter(([k, v]) => k.startsWith('spark.') && v !== '').flatMap(([k, v]) => ['--conf', `${k}=${v}`]);
  const envs: Record<string, string> = {
    // RemoteInterpreterUtils.isEnvString: upper-case properties are env vars.
    ...Object.fromEntries(Object.entries(properties).filter(([k]) => /^[A-Z_0-9]+$/.test(k))),
    INTERPRETER_GROUP_ID: 'spark-shared_process',
    SERVICE_DOMAIN: 'local.zeppelin-project.org',
    ZEPPELIN_HOME: '/opt/zeppelin',
    ...(javaOptions.length ? { SPARK_DRIVER_EXTRAJAVAOPTIONS_CONF: javaOptions.join(' ') } : {}),
    ZEPPELIN_SPARK_CONF: sparkSubmitConf.join('|'),
  };
  envs.SPARK_HOME = properties.SPARK_HOME ?? '/spark';
  const bindings: Record<string, string> = {
    'zeppelin.k8s.interpreter.user': launch.user,
    'zeppelin.k8s.interpreter.namespace': launch.namespace,
    'zeppelin.k8s.interpreter.pod.name': launch.podName,
    'zeppelin.k8s.interpreter.serviceAccount': properties['zeppelin.k8s.interpreter.serviceAccount'] ?? 'default',
    'zeppelin.k8s.interpreter.container.name': 'spark',
    'zeppelin.k8s.interpreter.container.image': 'apache/zeppelin:0.12.1',
    'zeppelin.k8s.interpreter.group.id': 'spark-shared_process',
    'zeppelin.k8s.interpreter.group.name': 'spark',
    'zeppelin.k8s.interpreter.setting.name': 'spark',
    'zeppelin.k8s.interpreter.localRepo': '/tmp/local-repo',
    'zeppelin.k8s.interpreter.rpc.portRange': '12321:12321',
    'zeppelin.k8s.server.rpc.service': `${launch.serverService}.${launch.namespace}.svc`,
    'zeppelin.k8s.server.rpc.portRange': '12320',
    'zeppelin.k8s.server.uid': launch.serverPod.uid,
    'zeppelin.k8s.server.pod.name': launch.serverPod.name,
    'zeppelin.k8s.spark.container.image': launch.sparkImage,
    ...properties,
  };
  return { bindings, envs, sparkSubmitConf };
}

/** Renders `template` with Jinjava as the launcher does, and parses the objects it yields. */
export function renderLikeTheLauncher(template: string, launch: InterpreterLaunch): KubeObj[] {
  const { bindings, envs } = launcherBindings(launch);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-zeppelin-template-'));
  try {
    fs.writeFileSync(path.join(dir, 'template.yaml'), template);
    fs.writeFileSync(path.join(dir, 'bindings.properties'), formatJavaProperties(bindings));
    fs.writeFileSync(path.join(dir, 'envs.properties'), formatJavaProperties(envs));
    const yaml = execFileSync('java', ['-cp', zeppelinTemplateClasspath(), 'dev.sparkplane.test.RenderTemplate', ...['template.yaml', 'bindings.properties', 'envs.properties'].map((f) => path.join(dir, f))], { encoding: 'utf8' });
    return parseAllDocuments(yaml).map((d) => d.toJSON()).filter(Boolean);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
