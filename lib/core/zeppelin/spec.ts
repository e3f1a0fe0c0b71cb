// The Zeppelin spec: a notebook server whose Spark interpreter runs Spark natively on Kubernetes
// (docs/zeppelin-research.md). The interpreter's Spark settings are the SparkApplication model's
// own props, so a notebook and a batch application are configured in one dialect.
import type { KubeToleration } from '../kube-objects';
import type { SparkApplicationSpec, SparkDriverSpec } from '../spark-application/spec';
import type { StagingNetworkPeer } from '../staging/spec';

/** The interpreters of Zeppelin's Spark group, all served by one interpreter pod (one Spark driver). */
export type ZeppelinSparkInterpreter = 'spark' | 'sql' | 'pyspark' | 'ipyspark' | 'r' | 'ir';

/** A key of a Secret in Zeppelin's namespace. */
export interface ZeppelinSecretKey {
  /** Name of the Secret. */
  readonly secretName: string;
  /** Key in the Secret. */
  readonly key: string;
}

/**
 * Who may use Zeppelin. Exactly one of `users`, `shiroIni` or
 * `allowAnonymousAccessByAnyoneWhoCanReachZeppelin` must be set.
 */
export interface ZeppelinAuth {
  /**
   * Shiro users from a Secret key holding the `[users]` lines (`alice = password, admin`), passwords
   * plain or Shiro-hashed. sparkplane renders the rest of shiro.ini; the file is assembled in
   * memory when the server starts, so no password is in a ConfigMap or on the node's disk.
   * Users with the role `admin` may edit interpreter settings.
   * @default - not this kind of authentication
   */
  readonly users?: ZeppelinSecretKey;
  /**
   * A whole `shiro.ini` from a Secret key: for LDAP, Active Directory, Knox or pac4j (OIDC) realms,
   * whose bind credentials belong in a Secret too.
   * @default - not this kind of authentication
   */
  readonly shiroIni?: ZeppelinSecretKey;
  /**
   * Run without authentication: anyone who reaches the server runs code as the interpreter's
   * ServiceAccount (which creates pods). Only for a throw-away cluster.
   * @default false
   */
  readonly allowAnonymousAccessByAnyoneWhoCanReachZeppelin?: boolean;
}

/** Where notebooks are kept. Interpreter settings always stay on the server's claim. */
export interface ZeppelinNotebookStorage {
  /**
   * A remote Git repository (Zeppelin's GitHubNotebookRepo, which pulls and pushes on each commit).
   * @default - notebooks in a local Git repository on the server's claim
   */
  readonly git?: {
    /** The remote's HTTPS URL. */
    readonly remoteUrl: string;
    /** User name sent with the token. @default "token" */
    readonly username?: string;
    /** The access token. */
    readonly accessToken: ZeppelinSecretKey;
    /** Remote name. @default "origin" */
    readonly origin?: string;
  };
  /**
   * An S3-compatible bucket (Zeppelin's S3NotebookRepo); notebooks go under `<user>/notebook`.
   * @default - notebooks in a local Git repository on the server's claim
   */
  readonly s3?: {
    /** Bucket name. */
    readonly bucket: string;
    /** Folder in the bucket that holds the notebooks' `notebook` folder. @default "zeppelin" */
    readonly user?: string;
    /** Endpoint, for stores other than AWS. @default "s3.amazonaws.com" */
    readonly endpoint?: string;
    /** Path-style access, which MinIO and most S3-compatible stores need. @default false */
    readonly pathStyleAccess?: boolean;
    /**
     * A Secret with `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` keys, exposed to the server as
     * environment (the AWS SDK's default chain).
     * @default - the pod's own identity (web identity or instance profile)
     */
    readonly credentialsSecret?: string;
  };
}

/** An Ingress in front of the Zeppelin server. */
export interface ZeppelinIngress {
  /** Host name. */
  readonly host: string;
  /** Secret with the TLS certificate and key for `host`. */
  readonly tlsSecretName: string;
  /** Ingress class. @default - the cluster's default class */
  readonly className?: string;
  /** Annotations, e.g. for cert-manager or the controller's timeouts. @default - none */
  readonly annotations?: Record<string, string>;
}

/** The driver of the Spark interpreter: the interpreter pod itself. */
export type ZeppelinSparkDriverSpec = Omit<SparkDriverSpec, 'serviceAccountName' | 'retries' | 'deadlineSeconds' | 'ttlSecondsAfterFinished' | 'port' | 'blockManagerPort' | 'uiPort'>;

/**
 * The Spark interpreter: the SparkApplication props that apply to a long-running client-mode driver
 * whose code comes from notebooks.
 */
export interface ZeppelinSparkSpec extends Omit<SparkApplicationSpec, 'name' | 'namespace' | 'type' | 'mainClass' | 'mainApplicationFile' | 'arguments' | 'driver' | 'labels' | 'shuffleService'> {
  /** The driver, which is the interpreter pod. @default - 1 core, 1g */
  readonly driver?: ZeppelinSparkDriverSpec;
  /**
   * The interpreters of the Spark group that notebooks may use; the others are not offered.
   * `r` and `ir` need an image with R and Zeppelin's R packages.
   * @default ["spark", "sql", "pyspark"]
   */
  readonly interpreters?: readonly ZeppelinSparkInterpreter[];
  /**
   * Run a Spark version that Zeppelin's Spark interpreter refuses (it accepts 3.3.0 up to 4.1.0,
   * exclusive), by switching its check off. Zeppelin's Scala integration may then fail at run time.
   * @default false
   */
  readonly skipSupportedVersionCheck?: boolean;
}

/** Zeppelin, with its interpreters run as pods of their own. */
export interface ZeppelinSpec {
  /** Name of the server's objects; prefixes every object. A DNS label of at most 30 characters. */
  readonly name: string;
  /** Namespace of the server and of its interpreter and executor pods. @default "default" */
  readonly namespace?: string;
  /** The Zeppelin image; the interpreter pods copy Zeppelin from it. @default "apache/zeppelin:0.12.1" */
  readonly image?: string;
  /**
   * The sparkplane image (images/README.md): its init container writes the Spark interpreter's
   * properties from this spec into Zeppelin's interpreter.json at every server start.
   */
  readonly sparkplaneImage: string;
  /** Pull policy of the Zeppelin and sparkplane images. @default "IfNotPresent" */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** Names of Secrets used to pull the Zeppelin and Spark images. @default - none */
  readonly imagePullSecrets?: readonly string[];
  /** Authentication. Required: there is no silent default. */
  readonly auth: ZeppelinAuth;
  /** The Spark interpreter. */
  readonly spark: ZeppelinSparkSpec;
  /** Where notebooks are kept. @default - a local Git repository on the server's claim */
  readonly notebookStorage?: ZeppelinNotebookStorage;
  /** Size of the server's PersistentVolumeClaim (notebooks, interpreter settings, credentials). @default "10Gi" */
  readonly storageSize?: string;
  /** Storage class of the claim. @default - the cluster's default class */
  readonly storageClassName?: string;
  /** Stop an interpreter (and delete its pod and executors) after this long without use, a Spark duration. @default "1h" */
  readonly interpreterIdleTimeout?: string;
  /** Give up on an interpreter pod that has not connected back after this long (it counts time Pending), a Spark duration. @default "10min" */
  readonly interpreterStartTimeout?: string;
  /** An Ingress with TLS. @default - none: reach the Service yourself (e.g. `kubectl port-forward`) */
  readonly ingress?: ZeppelinIngress;
  /** Who else may reach the server's web port, besides the Ingress controller you name here. @default - any pod or address (the web UI has its own authentication) */
  readonly webPeers?: readonly StagingNetworkPeer[];
  /**
   * Who may scrape a monitored interpreter (`spark.monitoring`): its UI port, which serves Spark's
   * metrics, and the allocator sidecar's metrics port. Required with monitoring in pull mode, since the
   * interpreter's NetworkPolicy otherwise admits only the server there.
   * @default - nobody
   */
  readonly metricsPeers?: readonly StagingNetworkPeer[];
  /** CPU request of the server. @default "500m" */
  readonly cpuRequest?: string;
  /** Memory request and limit of the server. @default "2Gi" */
  readonly memory?: string;
  /** Nodes the server may run on. @default - any node */
  readonly nodeSelector?: Record<string, string>;
  /** Tolerations of the server's pod. @default - none */
  readonly tolerations?: readonly KubeToleration[];
  /** Labels added to every rendered object. @default - none */
  readonly labels?: Record<string, string>;
}
