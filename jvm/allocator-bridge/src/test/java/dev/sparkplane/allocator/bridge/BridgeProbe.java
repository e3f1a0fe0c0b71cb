package dev.sparkplane.allocator.bridge;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import org.apache.spark.SecurityManager;
import org.apache.spark.SparkConf;
import org.apache.spark.resource.ResourceProfile;
import org.apache.spark.scheduler.cluster.k8s.AbstractPodsAllocator;
import org.apache.spark.scheduler.cluster.k8s.ExecutorPodsSnapshotsStore;
import org.apache.spark.scheduler.cluster.k8s.ExecutorPodsSnapshotsStoreImpl;
import org.apache.spark.scheduler.cluster.k8s.KubernetesClusterSchedulerBackend;
import org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBuilder;
import org.apache.spark.util.Clock;
import org.apache.spark.util.SystemClock;
import scala.Option;

/**
 * The linkage probe of test/e2e/allocator-bridge-linkage.test.ts: compiled with the bridge against
 * Spark 3.5.9, run unchanged on every Spark line. It does what Spark does with a pods allocator
 * (KubernetesClusterManager's six-class constructor, start, setTotalExpectedExecutors with a Scala
 * Map, isDeleted, driverPod, stop) against the test's fake sidecar and fake API server, and reports
 * what happened as lines "PROBE {json}" on stdout. Commands come on stdin, one a line:
 * {@code isDeleted <id>}, {@code state}, {@code stop}, {@code failPod <id>} (Spark 3.5's failure
 * tracker), {@code exit}. Any LinkageError is reported as {@code "linkage": true} (exit status 3).
 *
 * <p>Arguments: master URL (http://127.0.0.1:port), namespace, driver pod name, application ID.
 */
public final class BridgeProbe {

  private BridgeProbe() {}

  public static void main(String[] args) throws Exception {
    Thread.setDefaultUncaughtExceptionHandler((t, e) -> {
      report("error", "thread", t.getName(), "linkage", isLinkage(e), "error", describe(e));
    });
    try {
      run(args);
    } catch (Throwable e) {
      report("error", "thread", "main", "linkage", isLinkage(e), "error", describe(e));
      System.out.flush();
      System.exit(3);
    }
  }

  @SuppressWarnings({"rawtypes", "unchecked"})
  private static void run(String[] args) throws Exception {
    String master = args[0];
    String namespace = args[1];
    String driverPodName = args[2];
    String appId = args[3];

    SparkConf conf = new SparkConf(false)
        .set("spark.master", "k8s://" + master)
        .set("spark.app.id", appId)
        .set("spark.app.name", "sparkplane-probe")
        .set("spark.kubernetes.namespace", namespace)
        .set("spark.kubernetes.driver.pod.name", driverPodName)
        .set("spark.kubernetes.container.image", "apache/spark:probe")
        .set("spark.kubernetes.executor.podNamePrefix", "sparkplane-probe")
        .set("spark.driver.host", "sparkplane-probe-driver-svc." + namespace + ".svc")
        .set("spark.driver.port", "7078")
        .set("spark.executor.maxNumFailures", "1")
        .set("spark.kubernetes.allocation.batch.delay", "100ms")
        .set("spark.authenticate", "true")
        .set("spark.kubernetes.executor.volumes.persistentVolumeClaim.data.options.claimName", "OnDemand")
        .set("spark.kubernetes.executor.volumes.persistentVolumeClaim.data.options.storageClass", "standard")
        .set("spark.kubernetes.executor.volumes.persistentVolumeClaim.data.options.sizeLimit", "1Gi")
        .set("spark.kubernetes.executor.volumes.persistentVolumeClaim.data.mount.path", "/data");
    report("spark", "version", SparkplanePodsAllocator.sparkVersion(), "scala", scala.util.Properties.versionNumberString());

    // As SparkEnv: the security manager, which makes the authentication secret on Kubernetes.
    Method defaultSecretFile = SecurityManager.class.getMethod("$lessinit$greater$default$3");
    SecurityManager secMgr = SecurityManager.class
        .getConstructor(SparkConf.class, Option.class, defaultSecretFile.getReturnType())
        .newInstance(conf, Option.empty(), defaultSecretFile.invoke(null));
    secMgr.initializeAuth();

    // As KubernetesClusterManager: Spark's own client factory, in client mode.
    Class<?> factory = Class.forName("org.apache.spark.deploy.k8s.SparkKubernetesClientFactory");
    Class<?> clientTypes = Class.forName("org.apache.spark.deploy.k8s.SparkKubernetesClientFactory$ClientType$");
    Object driverType = clientTypes.getMethod("Driver").invoke(clientTypes.getField("MODULE$").get(null));
    Method create = null;
    for (Method m : factory.getMethods()) {
      if (m.getName().equals("createKubernetesClient") && m.getParameterCount() == 6) {
        create = m;
      }
    }
    KubernetesClient client = (KubernetesClient) create.invoke(
        null, master, Option.apply(namespace), "spark.kubernetes.authenticate", driverType, conf, Option.empty());

    Clock clock = new SystemClock();
    ExecutorPodsSnapshotsStore snapshotsStore =
        new ExecutorPodsSnapshotsStoreImpl(Executors.newSingleThreadScheduledExecutor(), clock, conf);

    // Exactly KubernetesClusterManager.makeExecutorPodsAllocator's reflection.
    Class<?> cls = Class.forName(conf.get("spark.kubernetes.allocation.pods.allocator",
        "dev.sparkplane.allocator.bridge.SparkplanePodsAllocator"));
    Constructor<?> cstr = cls.getConstructor(SparkConf.class, SecurityManager.class,
        KubernetesExecutorBuilder.class, KubernetesClient.class, ExecutorPodsSnapshotsStore.class, Clock.class);
    AbstractPodsAllocator allocator = (AbstractPodsAllocator) cstr.newInstance(
        conf, secMgr, new KubernetesExecutorBuilder(), client, snapshotsStore, clock);
    SparkplanePodsAllocator bridge = (SparkplanePodsAllocator) allocator;
    Option<Pod> driverPod = allocator.driverPod();
    report("constructed", "bridgeId", bridge.bridgeId(),
        "driverPod", driverPod.isDefined() ? driverPod.get().getMetadata().getName() : null,
        "driverUid", driverPod.isDefined() ? driverPod.get().getMetadata().getUid() : null,
        "lifecycleManagerTracksFailures", SparkplanePodsAllocator.lifecycleManagerTracksFailures());

    // The backend is a real KubernetesClusterSchedulerBackend, allocated without its constructor
    // (a SparkContext would be needed) with an empty executor map: getExecutorsWithRegistrationTs works.
    KubernetesClusterSchedulerBackend backend = allocateBackend();
    allocator.start(appId, backend);
    // ResourceProfile's companion has no static forwarder for it: through the module.
    Class<?> rpModule = Class.forName("org.apache.spark.resource.ResourceProfile$");
    ResourceProfile rp = (ResourceProfile) rpModule.getMethod("getOrCreateDefaultProfile", SparkConf.class)
        .invoke(rpModule.getField("MODULE$").get(null), conf);
    allocator.setTotalExpectedExecutors(new scala.collection.immutable.Map.Map1(rp, Integer.valueOf(3)));
    report("started", "rp", rp.id(), "secretSha256", sha256(secMgr.getSecretKey()));

    BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = stdin.readLine()) != null) {
      String[] words = line.trim().split("\\s+");
      switch (words[0]) {
        case "isDeleted":
          report("isDeleted", "id", words[1], "value", allocator.isDeleted(words[1]));
          break;
        case "state":
          report("state", "syncs", bridge.syncsAnswered(), "lastExecutorId", bridge.lastExecutorId(),
              "numFailedExecutors", bridge.numFailedExecutors());
          break;
        case "stop":
          allocator.stop(appId);
          report("stopped");
          break;
        case "failPod":
          snapshotsStore.updatePod(failedPod(appId, words[1]));
          snapshotsStore.notifySubscribers();
          Thread.sleep(500);
          report("failed", "id", words[1], "numFailedExecutors", bridge.numFailedExecutors());
          break;
        case "exit":
          System.out.flush();
          System.exit(0);
          break;
        default:
          report("unknown", "command", line);
      }
    }
  }

  private static KubernetesClusterSchedulerBackend allocateBackend() throws Exception {
    Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
    Field theUnsafe = unsafeClass.getDeclaredField("theUnsafe");
    theUnsafe.setAccessible(true);
    Object unsafe = theUnsafe.get(null);
    Object backend = unsafeClass.getMethod("allocateInstance", Class.class)
        .invoke(unsafe, KubernetesClusterSchedulerBackend.class);
    for (Class<?> c = KubernetesClusterSchedulerBackend.class; c != null; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (f.getName().endsWith("executorDataMap")) {
          f.setAccessible(true);
          f.set(backend, new scala.collection.mutable.HashMap<Object, Object>());
        }
      }
    }
    return (KubernetesClusterSchedulerBackend) backend;
  }

  /** A Failed executor pod as the snapshots store sees it (model setters, no builders). */
  private static Pod failedPod(String appId, String executorId) {
    Map<String, String> labels = new HashMap<>();
    labels.put("spark-app-selector", appId);
    labels.put("spark-role", "executor");
    labels.put("spark-exec-id", executorId);
    labels.put("spark-exec-resourceprofile-id", "0");
    ObjectMeta meta = new ObjectMeta();
    meta.setName("sparkplane-probe-exec-" + executorId);
    meta.setLabels(labels);
    PodStatus status = new PodStatus();
    status.setPhase("Failed");
    Pod pod = new Pod();
    pod.setMetadata(meta);
    pod.setStatus(status);
    return pod;
  }

  private static String sha256(String s) throws Exception {
    if (s == null) {
      return null;
    }
    byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    StringBuilder out = new StringBuilder();
    for (byte b : d) {
      out.append(String.format("%02x", b & 0xff));
    }
    return out.toString();
  }

  private static boolean isLinkage(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof LinkageError) {
        return true;
      }
    }
    return false;
  }

  private static String describe(Throwable e) {
    StringBuilder out = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (out.length() > 0) {
        out.append(" <- ");
      }
      out.append(t.toString());
    }
    return out.toString();
  }

  /** One line "PROBE {json}"; values are strings, numbers, booleans or null. */
  private static synchronized void report(String event, Object... kv) {
    StringBuilder out = new StringBuilder("PROBE {\"event\":").append(quote(event));
    for (int i = 0; i + 1 < kv.length; i += 2) {
      out.append(',').append(quote((String) kv[i])).append(':');
      Object v = kv[i + 1];
      out.append(v == null ? "null" : v instanceof Number || v instanceof Boolean ? v.toString() : quote(v.toString()));
    }
    System.out.println(out.append('}'));
    System.out.flush();
  }

  private static String quote(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }
}
