package dev.sparkplane.allocator.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.spark.SecurityManager;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkException;
import org.apache.spark.deploy.ExecutorFailureTracker;
import org.apache.spark.deploy.k8s.KubernetesConf;
import org.apache.spark.deploy.k8s.KubernetesExecutorConf;
import org.apache.spark.deploy.k8s.KubernetesExecutorSpec;
import org.apache.spark.deploy.k8s.SparkPod;
import org.apache.spark.resource.ResourceProfile;
import org.apache.spark.scheduler.cluster.k8s.AbstractPodsAllocator;
import org.apache.spark.scheduler.cluster.k8s.ExecutorPodsSnapshot;
import org.apache.spark.scheduler.cluster.k8s.ExecutorPodsSnapshotsStore;
import org.apache.spark.scheduler.cluster.k8s.KubernetesClusterSchedulerBackend;
import org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBuilder;
import org.apache.spark.scheduler.cluster.k8s.PodFailed;
import org.apache.spark.util.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;
import scala.Tuple2;
import scala.runtime.AbstractFunction1;
import scala.runtime.BoxedUnit;

/**
 * Spark's pods allocator when the sparkplane allocator sidecar creates the executor pods
 * ({@code spark.kubernetes.allocation.pods.allocator=dev.sparkplane.allocator.bridge.SparkplanePodsAllocator}).
 *
 * <p>Spark keeps deciding how many executors there are (the targets it gives {@link
 * #setTotalExpectedExecutors}) and what an executor pod is (the bridge mints pods with Spark's own
 * {@link KubernetesExecutorBuilder}, with concrete executor IDs, when the sidecar asks). The sidecar
 * decides when a pod is created. The wire contract is {@code lib/core/allocator/protocol.ts}; the
 * design is {@code docs/allocator-design.md} §4.
 *
 * <p>Compiled once with {@code javac --release 8} against Spark 3.5.9 (Scala 2.12), the same class
 * file links on Spark 3.5 through 4.3 (Scala 2.13), under these rules (design §1.4): no direct call of
 * a method whose descriptor mentions {@code scala.collection.Seq} (reflection instead); Scala
 * collections only through {@code iterator()}/{@code Tuple2}; no fabric8 builders or fluents (model
 * getters, the client DSL and Jackson only); {@code HttpURLConnection}; slf4j; nothing bundled.
 *
 * <p>Pod specs may hold the {@code spark.authenticate} secret (the executor container's env
 * {@code _SPARK_AUTH_SECRET}, Spark's {@code SecurityManager.ENV_AUTH_SECRET}): they are never logged.
 */
public class SparkplanePodsAllocator extends AbstractPodsAllocator {

  /** {@code ALLOCATOR_PROTOCOL_VERSION} of protocol.ts. */
  public static final int PROTOCOL_VERSION = 1;
  /** {@code ALLOCATOR_URL_ENV} of protocol.ts. */
  public static final String URL_ENV = "SPARKPLANE_ALLOCATOR_URL";
  /** {@code ALLOCATOR_BRIDGE_PORT} of protocol.ts. */
  public static final String DEFAULT_URL = "http://127.0.0.1:7090";
  /** Name of the bridge's thread. */
  public static final String THREAD_NAME = "sparkplane-allocator";
  /** Exit code of Spark's EXCEED_MAX_EXECUTOR_FAILURES (SparkExitCode, 3.5 and later). */
  static final int EXCEED_MAX_EXECUTOR_FAILURES = 11;

  static final String APP_ID_LABEL = "spark-app-selector";
  static final String ROLE_LABEL = "spark-role";
  static final String EXECUTOR_ROLE = "executor";

  private static final Logger LOG = LoggerFactory.getLogger(SparkplanePodsAllocator.class);
  private static final long HELLO_BACKOFF_CAP_MS = 5_000;
  private static final long SYNC_BACKOFF_CAP_MS = 1_000;
  private static final long WARN_EVERY_MS = 60_000;
  private static final int CONNECT_TIMEOUT_MS = 2_000;
  /** The sidecar holds a sync up to 250 ms; minting replies are quick. */
  private static final int SYNC_READ_TIMEOUT_MS = 10_000;
  private static final int STOP_TIMEOUT_MS = 2_000;

  private final SparkConf conf;
  private final SecurityManager secMgr;
  private final KubernetesExecutorBuilder executorBuilder;
  private final KubernetesClient kubernetesClient;
  private final ExecutorPodsSnapshotsStore snapshotsStore;
  private final Clock clock;

  private final String namespace;
  private final Option<Pod> driverPod;
  private final String bridgeId = UUID.randomUUID().toString();
  private final String sidecarUrl;
  private final ObjectMapper mapper = new ObjectMapper();

  /** Executor IDs, as {@code direct}'s EXECUTOR_ID_COUNTER: the first is 1. */
  private final AtomicLong executorIdCounter = new AtomicLong(0);
  /** rp id → (profile, total); written under Spark's backend lock, read by the thread. */
  private final ConcurrentHashMap<Integer, Target> targets = new ConcurrentHashMap<>();
  /** Executor IDs the sidecar deleted before they registered (the union of every reply). */
  private final Set<String> deletedExecutorIds = ConcurrentHashMap.newKeySet();
  private final AtomicLong targetsVersion = new AtomicLong();

  // Owned by the bridge thread.
  private final Set<Integer> profilesSent = new HashSet<>();
  private final Set<String> handledRequests = new HashSet<>();
  private final Set<String> requestsWarnedUnknownProfile = new HashSet<>();
  private final List<ObjectNode> mintedUnsent = new ArrayList<>();
  private long seq = 0;

  private volatile String appId;
  private volatile KubernetesClusterSchedulerBackend backend;
  private volatile boolean running = false;
  private volatile Thread thread;
  private volatile long syncsAnswered = 0;

  // Spark 3.5 only: the maxNumFailures check of 3.5's direct allocator.
  private volatile ExecutorFailureTracker failureTracker;
  private final Set<Long> failedExecutorIds = ConcurrentHashMap.newKeySet();

  public SparkplanePodsAllocator(
      SparkConf conf,
      SecurityManager secMgr,
      KubernetesExecutorBuilder executorBuilder,
      KubernetesClient kubernetesClient,
      ExecutorPodsSnapshotsStore snapshotsStore,
      Clock clock) {
    this.conf = conf;
    this.secMgr = secMgr;
    this.executorBuilder = executorBuilder;
    this.kubernetesClient = kubernetesClient;
    this.snapshotsStore = snapshotsStore;
    this.clock = clock;
    this.namespace = conf.get("spark.kubernetes.namespace", "default");
    this.driverPod = fetchDriverPod(conf.getOption("spark.kubernetes.driver.pod.name"));
    String url = System.getenv(URL_ENV);
    if (url == null || url.trim().isEmpty()) {
      LOG.warn("{} is not set; using {}", URL_ENV, DEFAULT_URL);
      url = DEFAULT_URL;
    }
    this.sidecarUrl = url.trim().replaceAll("/+$", "");
  }

  /** As {@code direct}: the named driver pod must exist, as it owns every executor pod. */
  private Option<Pod> fetchDriverPod(Option<String> name) {
    if (name.isEmpty()) {
      return Option.empty();
    }
    String podName = name.get();
    Pod pod = kubernetesClient.pods().inNamespace(namespace).withName(podName).get();
    if (pod == null) {
      // Spark's SparkException, thrown as Scala throws it (unchecked).
      throw SparkplanePodsAllocator.<RuntimeException>sneakyThrow(
          new SparkException(
              "No pod was found named " + podName + " in the cluster in the namespace " + namespace
                  + " (this was supposed to be the driver pod.)."));
    }
    return Option.apply(pod);
  }

  // ----------------------------------------------------------------------------- AbstractPodsAllocator

  @Override
  public void start(String applicationId, KubernetesClusterSchedulerBackend schedulerBackend) {
    this.appId = applicationId;
    this.backend = schedulerBackend;
    if (!lifecycleManagerTracksFailures()) {
      subscribeFailureTracker();
    }
    running = true;
    Thread t = new Thread(this::runLoop, THREAD_NAME);
    t.setDaemon(true);
    thread = t;
    t.start();
  }

  @Override
  public void setTotalExpectedExecutors(scala.collection.immutable.Map<ResourceProfile, Object> resourceProfileToTotalExecs) {
    // Called under the backend's lock: no I/O, no waiting.
    scala.collection.Iterator<Tuple2<ResourceProfile, Object>> it = resourceProfileToTotalExecs.iterator();
    while (it.hasNext()) {
      Tuple2<ResourceProfile, Object> entry = it.next();
      ResourceProfile rp = entry._1();
      int total = ((Number) entry._2()).intValue();
      targets.put(rp.id(), new Target(rp, total));
    }
    targetsVersion.incrementAndGet();
    Thread t = thread;
    if (t != null) {
      LockSupport.unpark(t);
    }
  }

  @Override
  public Option<Pod> driverPod() {
    return driverPod;
  }

  @Override
  public boolean isDeleted(String executorId) {
    return deletedExecutorIds.contains(executorId);
  }

  @Override
  public void stop(String applicationId) {
    running = false;
    Thread t = thread;
    if (t != null) {
      LockSupport.unpark(t);
      t.interrupt();
      try {
        t.join(STOP_TIMEOUT_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      ObjectNode body = mapper.createObjectNode();
      body.put("bridgeId", bridgeId);
      post("/v1/stop", body, STOP_TIMEOUT_MS);
    } catch (Exception e) {
      LOG.info("The allocator sidecar did not answer /v1/stop ({}); deleting the executors directly", e.toString());
    }
    // As the direct allocator's stop, inside Utils.tryLogNonFatalError.
    try {
      kubernetesClient
          .pods()
          .inNamespace(namespace)
          .withLabel(APP_ID_LABEL, applicationId)
          .withLabel(ROLE_LABEL, EXECUTOR_ROLE)
          .delete();
    } catch (Throwable e) {
      rethrowFatal(e);
      LOG.error("Uncaught exception in thread " + Thread.currentThread().getName(), e);
    }
  }

  // ----------------------------------------------------------------------------- the bridge thread

  private void runLoop() {
    try {
      long backoff = 0;
      long lastWarn = 0;
      boolean connected = false;
      while (running) {
        if (!connected) {
          if (!hello()) {
            return;
          }
          connected = true;
          // A new (or restarted) sidecar knows no profile yet.
          profilesSent.clear();
        }
        try {
          syncOnce();
          backoff = 0;
        } catch (IOException e) {
          if (!running) {
            break;
          }
          if (e instanceof HttpStatusException && ((HttpStatusException) e).status == 409) {
            // UnknownBridge: the sidecar restarted (or never saw our hello); introduce ourselves again.
            LOG.info("The allocator sidecar does not know this bridge ({}); saying hello again", e.getMessage());
            connected = false;
            continue;
          }
          backoff = backoff == 0 ? 50 : Math.min(backoff * 2, SYNC_BACKOFF_CAP_MS);
          long now = System.currentTimeMillis();
          if (now - lastWarn >= WARN_EVERY_MS) {
            lastWarn = now;
            LOG.warn("The allocator sidecar at {} does not answer /v1/sync ({}); retrying", sidecarUrl, e.toString());
          }
          pause(backoff);
        }
      }
    } catch (Throwable e) {
      // A LinkageError here means the bridge does not fit this Spark: say so loudly.
      LOG.error("The sparkplane allocator bridge stopped: no executor pods will be created", e);
      rethrowFatal(e);
    }
  }

  private boolean hello() {
    long backoff = 100;
    long lastWarn = 0;
    while (running) {
      try {
        ObjectNode hello = mapper.createObjectNode();
        hello.put("protocol", PROTOCOL_VERSION);
        hello.put("bridgeId", bridgeId);
        hello.put("appId", appId);
        hello.put("namespace", namespace);
        if (driverPod.isDefined()) {
          ObjectNode driver = hello.putObject("driverPod");
          driver.put("name", driverPod.get().getMetadata().getName());
          driver.put("uid", driverPod.get().getMetadata().getUid());
        } else {
          hello.putNull("driverPod");
        }
        hello.put("sparkVersion", sparkVersion());
        JsonNode reply = post("/v1/hello", hello, SYNC_READ_TIMEOUT_MS);
        int protocol = reply.path("protocol").asInt(-1);
        if (protocol != PROTOCOL_VERSION) {
          throw new IOException("the sidecar speaks protocol " + protocol + ", the bridge " + PROTOCOL_VERSION);
        }
        LOG.info("Connected to the allocator sidecar at {} (bridge {})", sidecarUrl, bridgeId);
        return true;
      } catch (IOException e) {
        long now = System.currentTimeMillis();
        if (now - lastWarn >= WARN_EVERY_MS) {
          lastWarn = now;
          LOG.warn("The allocator sidecar at {} does not answer /v1/hello ({}); retrying", sidecarUrl, e.toString());
        }
        pause(backoff);
        backoff = Math.min(backoff * 2, HELLO_BACKOFF_CAP_MS);
      }
    }
    return false;
  }

  private void syncOnce() throws IOException {
    ObjectNode sync = mapper.createObjectNode();
    sync.put("bridgeId", bridgeId);
    sync.put("seq", ++seq);
    ObjectNode targetsJson = sync.putObject("targets");
    List<Integer> newProfiles = new ArrayList<>();
    ObjectNode profiles = mapper.createObjectNode();
    for (Map.Entry<Integer, Target> e : targets.entrySet()) {
      targetsJson.put(String.valueOf(e.getKey()), e.getValue().total);
      if (!profilesSent.contains(e.getKey())) {
        ObjectNode profile = buildProfile(e.getValue().profile);
        if (profile != null) {
          profiles.set(String.valueOf(e.getKey()), profile);
          newProfiles.add(e.getKey());
        }
      }
    }
    ArrayNode registered = sync.putArray("registered");
    for (String id : registeredExecutorIds()) {
      registered.add(id);
    }
    if (profiles.size() > 0) {
      sync.set("profiles", profiles);
    }
    int mintedSent = mintedUnsent.size();
    if (mintedSent > 0) {
      ArrayNode minted = sync.putArray("minted");
      for (ObjectNode m : mintedUnsent) {
        minted.add(m);
      }
    }

    JsonNode reply = post("/v1/sync", sync, SYNC_READ_TIMEOUT_MS);
    // Sent: the sidecar has them (resent on failure; it ignores minted pods of closed requests).
    profilesSent.addAll(newProfiles);
    mintedUnsent.subList(0, mintedSent).clear();
    syncsAnswered++;

    for (JsonNode id : reply.path("deleted")) {
      deletedExecutorIds.add(id.asText());
    }
    for (JsonNode request : reply.path("mint")) {
      mint(request.path("request").asText(), request.path("resourceProfileId").asInt(), request.path("count").asInt());
    }
  }

  /** Mints {@code count} executor pods of profile {@code rpId} for mint request {@code request}, once. */
  private void mint(String request, int rpId, int count) {
    if (request.isEmpty() || handledRequests.contains(request)) {
      return;
    }
    Target target = targets.get(rpId);
    if (target == null) {
      if (requestsWarnedUnknownProfile.add(request)) {
        LOG.warn("The allocator sidecar asks for executors of resource profile {}, which Spark has not requested (request {})", rpId, request);
      }
      return;
    }
    handledRequests.add(request);
    for (int i = 0; i < count; i++) {
      String executorId = String.valueOf(executorIdCounter.incrementAndGet());
      try {
        KubernetesExecutorSpec spec = buildSpec(executorId, target.profile);
        SparkPod sparkPod = spec.pod();
        ObjectNode minted = mapper.createObjectNode();
        minted.put("request", request);
        minted.put("executorId", executorId);
        minted.put("resourceProfileId", rpId);
        minted.set("pod", mapper.valueToTree(sparkPod.pod()));
        minted.set("container", mapper.valueToTree(sparkPod.container()));
        ArrayNode resources = minted.putArray("resources");
        for (Object resource : executorKubernetesResources(spec)) {
          resources.add(mapper.<JsonNode>valueToTree(resource));
        }
        mintedUnsent.add(minted);
      } catch (Throwable e) {
        rethrowFatal(e);
        // The message only, never the spec (it may hold the authentication secret).
        LOG.error("Could not build executor pod {} (resource profile {}): {}", executorId, rpId, e.toString());
      }
    }
    if (count > 0) {
      LOG.debug("Minted executor pods up to ID {} for request {}", executorIdCounter.get(), request);
    }
  }

  /** The profile's pod with ID "0", container appended to spec.containers (the sidecar's quota footprint). */
  private ObjectNode buildProfile(ResourceProfile rp) {
    try {
      SparkPod sparkPod = buildSpec("0", rp).pod();
      ObjectNode pod = mapper.valueToTree(sparkPod.pod());
      JsonNode container = mapper.valueToTree(sparkPod.container());
      ObjectNode spec = pod.has("spec") && pod.get("spec").isObject() ? (ObjectNode) pod.get("spec") : pod.putObject("spec");
      ArrayNode containers = spec.has("containers") && spec.get("containers").isArray() ? (ArrayNode) spec.get("containers") : spec.putArray("containers");
      containers.add(container);
      ObjectNode profile = mapper.createObjectNode();
      profile.set("pod", pod);
      profile.set("container", container);
      return profile;
    } catch (Throwable e) {
      rethrowFatal(e);
      LOG.error("Could not build the executor pod of resource profile {}: {}", rp.id(), e.toString());
      return null;
    }
  }

  private KubernetesExecutorSpec buildSpec(String executorId, ResourceProfile rp) {
    KubernetesExecutorConf executorConf = KubernetesConf.createExecutorConf(conf, executorId, appId, driverPod, rp.id());
    return executorBuilder.buildFromFeatures(executorConf, secMgr, kubernetesClient, rp);
  }

  /** {@code spec.executorKubernetesResources()}: a Seq, of scala.collection in 2.12, immutable in 2.13. */
  private static List<Object> executorKubernetesResources(KubernetesExecutorSpec spec) throws ReflectiveOperationException {
    Method m = spec.getClass().getMethod("executorKubernetesResources");
    Object seq = m.invoke(spec);
    List<Object> out = new ArrayList<>();
    if (seq != null) {
      scala.collection.Iterator<?> it = ((scala.collection.Iterable<?>) seq).iterator();
      while (it.hasNext()) {
        out.add(it.next());
      }
    }
    return out;
  }

  /** Keys of {@code backend.getExecutorsWithRegistrationTs()} (same descriptor on every line). */
  private List<String> registeredExecutorIds() {
    List<String> ids = new ArrayList<>();
    KubernetesClusterSchedulerBackend b = backend;
    if (b == null) {
      return ids;
    }
    scala.collection.Iterator<Tuple2<String, Object>> it = b.getExecutorsWithRegistrationTs().iterator();
    while (it.hasNext()) {
      ids.add(it.next()._1());
    }
    return ids;
  }

  // ----------------------------------------------------------------------------- Spark 3.5: maxNumFailures

  /** Spark 4.0+ counts executor failures in the lifecycle manager; 3.5 did it in the direct allocator. */
  static boolean lifecycleManagerTracksFailures() {
    try {
      Class<?> manager = Class.forName("org.apache.spark.scheduler.cluster.k8s.ExecutorPodsLifecycleManager");
      manager.getMethod("getNumExecutorsFailed");
      return true;
    } catch (ClassNotFoundException | NoSuchMethodException e) {
      return false;
    }
  }

  /**
   * 3.5's direct allocator: each snapshot batch, executors newly in PodFailed (in the last snapshot)
   * count as failures; more than {@code maxNumExecutorFailures} ends the application with exit 11.
   */
  @SuppressWarnings({"rawtypes", "unchecked"})
  private void subscribeFailureTracker() {
    final ExecutorFailureTracker tracker = new ExecutorFailureTracker(conf, clock);
    final int maxFailures = ExecutorFailureTracker.maxNumExecutorFailures(conf);
    failureTracker = tracker;
    long delayMs = conf.getTimeAsMs("spark.kubernetes.allocation.batch.delay", "1s");
    // The function takes a scala.collection.Seq (2.12): read it as an Iterable, no Seq in descriptors.
    scala.Function1 onSnapshots = new AbstractFunction1<Object, BoxedUnit>() {
      @Override
      public BoxedUnit apply(Object snapshots) {
        onSnapshots((scala.collection.Iterable<?>) snapshots);
        if (tracker.numFailedExecutors() > maxFailures) {
          LOG.error("Max number of executor failures ({}) reached", maxFailures);
          stopApplication(EXCEED_MAX_EXECUTOR_FAILURES);
        }
        return BoxedUnit.UNIT;
      }
    };
    snapshotsStore.addSubscriber(delayMs, onSnapshots);
  }

  private void onSnapshots(scala.collection.Iterable<?> snapshots) {
    ExecutorPodsSnapshot last = null;
    scala.collection.Iterator<?> it = snapshots.iterator();
    while (it.hasNext()) {
      last = (ExecutorPodsSnapshot) it.next();
    }
    if (last == null) {
      return;
    }
    int newlyFailed = 0;
    scala.collection.Iterator<?> pods = last.executorPods().iterator();
    while (pods.hasNext()) {
      Tuple2<?, ?> entry = (Tuple2<?, ?>) pods.next();
      if (entry._2() instanceof PodFailed && failedExecutorIds.add(((Number) entry._1()).longValue())) {
        newlyFailed++;
        failureTracker.registerExecutorFailure();
      }
    }
    if (newlyFailed > 0) {
      LOG.warn("{} new failed executors.", newlyFailed);
    }
  }

  /** As 3.5's {@code ExecutorPodsAllocator.stopApplication}. Overridable by tests. */
  protected void stopApplication(int exitCode) {
    System.exit(exitCode);
  }

  // ----------------------------------------------------------------------------- helpers

  private JsonNode post(String path, JsonNode body, int readTimeoutMs) throws IOException {
    HttpURLConnection http = (HttpURLConnection) new URL(sidecarUrl + path).openConnection();
    try {
      http.setRequestMethod("POST");
      http.setConnectTimeout(CONNECT_TIMEOUT_MS);
      http.setReadTimeout(readTimeoutMs);
      http.setDoOutput(true);
      http.setRequestProperty("Content-Type", "application/json");
      http.setRequestProperty("Accept", "application/json");
      byte[] bytes = mapper.writeValueAsBytes(body);
      http.setFixedLengthStreamingMode(bytes.length);
      try (OutputStream out = http.getOutputStream()) {
        out.write(bytes);
      }
      int status = http.getResponseCode();
      if (status / 100 != 2) {
        throw new HttpStatusException(status, "HTTP " + status + " from " + path + ": " + abbreviate(readAll(http.getErrorStream())));
      }
      String text = readAll(http.getInputStream());
      return text.trim().isEmpty() ? mapper.createObjectNode() : mapper.readTree(text);
    } finally {
      http.disconnect();
    }
  }

  private static String readAll(InputStream in) throws IOException {
    if (in == null) {
      return "";
    }
    try (InputStream input = in) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      int n;
      while ((n = input.read(buffer)) > 0) {
        out.write(buffer, 0, n);
      }
      return new String(out.toByteArray(), StandardCharsets.UTF_8);
    }
  }

  private static String abbreviate(String s) {
    return s.length() > 300 ? s.substring(0, 300) + "…" : s;
  }

  private void pause(long ms) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    long version = targetsVersion.get();
    while (running && targetsVersion.get() == version) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return;
      }
      LockSupport.parkNanos(this, left);
      if (Thread.interrupted() && !running) {
        return;
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> E sneakyThrow(Throwable e) throws E {
    throw (E) e;
  }

  /** Scala's NonFatal: these are not swallowed. */
  private static void rethrowFatal(Throwable e) {
    if (e instanceof VirtualMachineError || e instanceof ThreadDeath || e instanceof LinkageError) {
      throw (Error) e;
    }
    if (e instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
  }

  /** org.apache.spark.SPARK_VERSION, through the package object (package is a keyword in Java). */
  static String sparkVersion() {
    try {
      Class<?> pkg = Class.forName("org.apache.spark.package$");
      Object module = pkg.getField("MODULE$").get(null);
      return String.valueOf(pkg.getMethod("SPARK_VERSION").invoke(module));
    } catch (ReflectiveOperationException | RuntimeException e) {
      return "unknown";
    }
  }

  // ----------------------------------------------------------------------------- test hooks

  /** The bridge's ID (hello, sync and stop carry it). */
  String bridgeId() {
    return bridgeId;
  }

  /** Syncs the sidecar answered. */
  long syncsAnswered() {
    return syncsAnswered;
  }

  /** The executor IDs minted so far (the counter's value). */
  long lastExecutorId() {
    return executorIdCounter.get();
  }

  /** Spark 3.5: the failures counted, or -1 when Spark's lifecycle manager counts them (4.0+). */
  int numFailedExecutors() {
    ExecutorFailureTracker tracker = failureTracker;
    return tracker == null ? -1 : tracker.numFailedExecutors();
  }

  /** A non-2xx answer of the sidecar. */
  static final class HttpStatusException extends IOException {
    private static final long serialVersionUID = 1L;
    final int status;

    HttpStatusException(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  private static final class Target {
    final ResourceProfile profile;
    final int total;

    Target(ResourceProfile profile, int total) {
      this.profile = profile;
      this.total = total;
    }
  }
}
