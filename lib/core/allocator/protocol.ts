// The contract between the JVM bridge (jvm/allocator-bridge, loaded by Spark as its pods allocator)
// and the allocator sidecar: HTTP/JSON on the pod's loopback, the bridge the only client. Spark keeps
// deciding *how many* executors (targets) and *what an executor pod is* (the pods it mints); the
// sidecar decides *when* and *whether* a pod is created. docs/allocator-design.md §4.4 explains why.
//
// Every sync carries the bridge's whole state, so a restarted sidecar catches up at the next one.
// The Java side mirrors these shapes by hand (SparkplanePodsAllocator.java); the bridge tests run it
// against the sidecar's real server.

/** Version of this protocol; a bridge and a sidecar of different versions refuse each other. */
export const ALLOCATOR_PROTOCOL_VERSION = 1;

/** Loopback port of the sidecar's bridge API (bound to 127.0.0.1 only). */
export const ALLOCATOR_BRIDGE_PORT = 7090;
/** Port of the sidecar's /healthz, /readyz and /metrics (bound to the pod IP). */
export const ALLOCATOR_METRICS_PORT = 7091;
/** Environment variable of the driver container that tells the bridge where the sidecar listens. */
export const ALLOCATOR_URL_ENV = 'SPARKPLANE_ALLOCATOR_URL';
/** The bridge class, the value of `spark.kubernetes.allocation.pods.allocator`. */
export const ALLOCATOR_BRIDGE_CLASS = 'dev.sparkplane.allocator.bridge.SparkplanePodsAllocator';
/** File name of the bridge jar, in the image and on the driver's classpath. */
export const ALLOCATOR_BRIDGE_JAR = 'sparkplane-allocator-bridge.jar';
/** Folder of the bridge jar inside the sparkplane image. */
export const ALLOCATOR_BRIDGE_IMAGE_DIR = '/opt/sparkplane/bridge';
/** How long the sidecar holds a sync open when it has nothing to say (the bridge's poll period). */
export const SYNC_HOLD_MS = 250;
/** With no sync for this long, the sidecar stops creating pods (the driver JVM is paused or gone). */
export const SYNC_STALE_MS = 10_000;

/** `POST /v1/hello`: the bridge introduces itself once per driver JVM (retried until answered). */
export interface BridgeHello {
  /** {@link ALLOCATOR_PROTOCOL_VERSION} of the bridge. */
  readonly protocol: number;
  /** Random per bridge instance: a new one means a new driver JVM (its ID counter restarted). */
  readonly bridgeId: string;
  /** Spark's application ID (`spark-app-selector` label of its executors). */
  readonly appId: string;
  /** Namespace of the executors. */
  readonly namespace: string;
  /** The driver pod, owner of every executor pod; null when Spark runs outside a pod. */
  readonly driverPod: { readonly name: string; readonly uid: string } | null;
  /** Spark's version string, e.g. "4.0.5". */
  readonly sparkVersion: string;
}

/** Reply to a hello. */
export interface BridgeHelloReply {
  /** The sidecar's protocol version. */
  readonly protocol: number;
}

/** A Kubernetes object as Spark's fabric8 client serializes it (JSON). */
export type KubeJson = Record<string, unknown>;

/** Executor pods the bridge minted for one mint request of the sidecar. */
export interface MintedExecutor {
  /** The mint request this answers (IDs are unique across sidecar restarts: "<sidecar instance>.<n>"). */
  readonly request: string;
  /** Executor ID, unique for the driver JVM; it names the pod `<podNamePrefix>-exec-<id>`. */
  readonly executorId: string;
  /** Resource profile ID. */
  readonly resourceProfileId: number;
  /** The pod as Spark's KubernetesExecutorBuilder built it (executor container not yet in spec.containers). */
  readonly pod: KubeJson;
  /** The executor container. */
  readonly container: KubeJson;
  /** Extra objects Spark builds for the executor (on-demand PersistentVolumeClaims), to be owned by the pod. */
  readonly resources: readonly KubeJson[];
}

/** `POST /v1/sync`: the bridge's whole state, sent at least every {@link SYNC_HOLD_MS}. */
export interface BridgeSync {
  /** The hello's bridgeId. */
  readonly bridgeId: string;
  /** Increases with every sync of this bridge. */
  readonly seq: number;
  /** Executors Spark wants, by resource profile ID. */
  readonly targets: Readonly<Record<string, number>>;
  /** IDs of the executors registered with the driver. */
  readonly registered: readonly string[];
  /**
   * A pod (container appended) per profile, built with executor ID "0", sent when the profile is
   * first seen: the sidecar reads its resource requests for the quota footprint.
   * @default - no new profile
   */
  readonly profiles?: Readonly<Record<string, { readonly pod: KubeJson; readonly container: KubeJson }>>;
  /** Pods minted since the last sync. @default - none */
  readonly minted?: readonly MintedExecutor[];
}

/** The sidecar's reply to a sync. */
export interface BridgeSyncReply {
  /**
   * Mint requests still open. A request stays in every reply until its pods arrive in `minted`, so a
   * lost reply loses nothing; the bridge mints each request ID once and ignores repeats.
   */
  readonly mint: ReadonlyArray<{ readonly request: string; readonly resourceProfileId: number; readonly count: number }>;
  /**
   * Executor IDs whose pods the sidecar deleted before they registered (all it knows of; the bridge
   * keeps the union): Spark must refuse them if they register late (`isDeleted`).
   */
  readonly deleted: readonly string[];
}
