// Names, ports and paths of a Zeppelin server and its interpreter pods, read in apache/zeppelin
// v0.12.1 (docs/zeppelin-research.md §1). The renderers, the validation and the tests read them here.

/** The Zeppelin release sparkplane renders for (the newest; its interpreter pods are launched by this version's launcher). */
export const ZEPPELIN_VERSION = '0.12.1';
/** The official image of that release. */
export const DEFAULT_ZEPPELIN_IMAGE = `apache/zeppelin:${ZEPPELIN_VERSION}`;
/** UID of the official image's user (`USER 1000` in its Dockerfile). */
export const ZEPPELIN_UID = 1000;
/** Where the image keeps Zeppelin, and where the interpreter pods put their copy of it. */
export const ZEPPELIN_HOME = '/opt/zeppelin';

/** The web server's port. */
export const ZEPPELIN_HTTP_PORT = 8080;
/**
 * The server's interpreter-event port, pinned (ZEPPELIN_SERVER_RPC_PORTRANGE) because interpreters
 * call back to the Service on it, and the launcher only knows the port it bound.
 */
export const ZEPPELIN_SERVER_RPC_PORT = 12320;
/** The interpreter process's port (fixed by the launcher: `12321:12321`). */
export const ZEPPELIN_INTERPRETER_PORT = 12321;
/** The Spark driver's RPC port in an interpreter pod (fixed by the launcher). */
export const ZEPPELIN_SPARK_DRIVER_PORT = 22321;
/** The Spark driver's block manager port in an interpreter pod (the launcher fixes spark.blockManager.port to it). */
export const ZEPPELIN_SPARK_BLOCK_MANAGER_PORT = 22322;
/** The Spark UI's port in an interpreter pod. */
export const ZEPPELIN_SPARK_UI_PORT = 4040;

/** Spark versions Zeppelin 0.12.1's Spark interpreter accepts: from (inclusive) and to (exclusive) (SparkVersion.java). */
export const ZEPPELIN_SPARK_VERSION_RANGE = { from: '3.3.0', until: '4.1.0' } as const;

/** The interpreters of the Spark group (spark/interpreter/src/main/resources/interpreter-setting.json). */
export const ZEPPELIN_SPARK_INTERPRETERS = ['spark', 'sql', 'pyspark', 'ipyspark', 'r', 'ir'] as const;
/** Which interpreters are offered when the spec does not say. */
export const DEFAULT_ZEPPELIN_SPARK_INTERPRETERS = ['spark', 'sql', 'pyspark'] as const;

/** Where the server's claim is mounted: notebooks and the config store (interpreter.json, credentials). */
export const ZEPPELIN_DATA_DIR = '/data';
/** Where Zeppelin reads shiro.ini and its other configuration: a memory emptyDir the server fills at start. */
export const ZEPPELIN_CONF_DIR = '/run/zeppelin/conf';
/** Where the interpreter template is mounted (ZEPPELIN_K8S_TEMPLATE_DIR; the launcher reads `<dir>/interpreter`). */
export const ZEPPELIN_TEMPLATE_DIR = '/etc/sparkplane/zeppelin-k8s';
/** The template file's name in its ConfigMap (upstream's name, so the launcher's sorted order is the same). */
export const INTERPRETER_TEMPLATE_FILE = '100-interpreter-spec.yaml';

/** Longest Zeppelin name: interpreter pods are `<group id>-<6 letters>`, their Service the same, both DNS labels. */
export const MAX_ZEPPELIN_NAME_LENGTH = 30;

/** Names of the objects rendered for Zeppelin `name`. */
export interface ZeppelinNames {
  /** The server's Deployment, Service, ServiceAccount, Role and RoleBinding. */
  readonly server: string;
  /** The interpreter pods' ServiceAccount, Role and RoleBinding. */
  readonly interpreter: string;
  /** The server's ConfigMap of settings (environment). */
  readonly serverConfig: string;
  /** The ConfigMap with the interpreter pod template. */
  readonly interpreterTemplate: string;
  /** The ConfigMap with the `spark` interpreter setting's properties. */
  readonly interpreterSettings: string;
  /** The server's PersistentVolumeClaim. */
  readonly data: string;
  /** The Secret-free part of shiro.ini. */
  readonly shiro: string;
}

/** The names of Zeppelin `name`'s objects. */
export function zeppelinNames(name: string): ZeppelinNames {
  return {
    server: `${name}-server`,
    interpreter: `${name}-interpreter`,
    serverConfig: `${name}-server-config`,
    interpreterTemplate: `${name}-interpreter-template`,
    interpreterSettings: `${name}-interpreter-settings`,
    data: `${name}-data`,
    shiro: `${name}-shiro`,
  };
}
