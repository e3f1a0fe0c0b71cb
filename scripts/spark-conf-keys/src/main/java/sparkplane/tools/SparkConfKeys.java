package sparkplane.tools;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Enumeration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Lists the configuration keys that one Spark release really registers.
 *
 * <p>Spark itself is NOT a compile-time dependency: the jars of one release are given on the command
 * line and loaded in a child class loader, and everything is read by reflection, so the same class
 * works for Scala 2.12 (Spark 3.5) and Scala 2.13 (Spark 4.x).
 *
 * <p>How: every Scala object (class name ending in {@code $}) in the selected Spark module jars whose
 * bytecode mentions {@code org/apache/spark/internal/config/ConfigBuilder} is initialised. Building a
 * {@code ConfigEntry} registers it in {@code ConfigEntry$.MODULE$.knownConfigs()} (core's registry,
 * which SQLConf's {@code buildConf}/{@code buildStaticConf} entries also go through; Spark 4.3's
 * proto-defined entries are put there by {@code ConfigEntry$}'s own initialiser). That map is then read,
 * together with the alternative (old) names: {@code ConfigEntry.alternatives()} (from
 * {@code withAlternative}) and {@code SparkConf.configsWithAlternatives}; and, kept apart, SparkConf's
 * and SQLConf's deprecated and removed keys.
 *
 * <p>Usage: {@code java -cp <this jar> sparkplane.tools.SparkConfKeys --spark-version V --jars DIR
 * --modules core,sql,... [--require core,sql,...] --out FILE}. Modules listed in --modules but absent
 * from the jar folder are skipped (e.g. connect is not part of Spark 3.5's distribution); those in
 * --require must be there.
 */
public final class SparkConfKeys {
  private static final String BUILDER = "org/apache/spark/internal/config/ConfigBuilder";

  public static void main(String[] args) {
    PrintStream realErr = System.err;
    try {
      run(args);
    } catch (Throwable t) {
      realErr.println("spark-conf-keys: failed: " + t);
      t.printStackTrace(realErr);
      System.exit(1);
    }
  }

  private static void run(String[] args) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i], args[i + 1]);
    }
    String version = require(opts, "--spark-version");
    Path jarsDir = Paths.get(require(opts, "--jars"));
    List<String> modules = Arrays.asList(require(opts, "--modules").split(","));
    Path out = Paths.get(require(opts, "--out"));

    // Spark logs through log4j2/slf4j on stdout/stderr while objects initialise: keep our own output clean.
    PrintStream realOut = System.out;
    PrintStream realErr = System.err;
    ByteArrayOutputStream noise = new ByteArrayOutputStream();
    System.setOut(new PrintStream(noise, true, "UTF-8"));
    System.setErr(new PrintStream(noise, true, "UTF-8"));

    File[] jars = jarsDir.toFile().listFiles((d, n) -> n.endsWith(".jar"));
    if (jars == null || jars.length == 0) {
      throw new IllegalArgumentException("no jars in " + jarsDir);
    }
    Arrays.sort(jars);
    URL[] urls = new URL[jars.length];
    for (int i = 0; i < jars.length; i++) {
      urls[i] = jars[i].toURI().toURL();
    }
    URLClassLoader loader = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader());
    Thread.currentThread().setContextClassLoader(loader);

    // 1. Find and initialise the Scala objects that build config entries.
    List<String> scanned = new ArrayList<>();
    TreeSet<String> candidates = new TreeSet<>();
    for (File jar : jars) {
      String module = moduleOf(jar.getName(), version);
      if (module == null || !modules.contains(module)) {
        continue;
      }
      scanned.add(module);
      try (JarFile jf = new JarFile(jar)) {
        Enumeration<JarEntry> en = jf.entries();
        while (en.hasMoreElements()) {
          JarEntry e = en.nextElement();
          String n = e.getName();
          if (!n.startsWith("org/apache/spark/") || !n.endsWith("$.class") || n.contains("$anon")) {
            continue;
          }
          try (InputStream in = jf.getInputStream(e)) {
            if (contains(in.readAllBytes(), BUILDER)) {
              candidates.add(n.substring(0, n.length() - ".class".length()).replace('/', '.'));
            }
          }
        }
      }
    }
    List<String> missingModules = new ArrayList<>(
        Arrays.asList(opts.getOrDefault("--require", "core").split(",")));
    missingModules.removeAll(scanned);
    if (!missingModules.isEmpty()) {
      realErr.println("error: module jars not found for spark " + version + ": " + missingModules);
      System.exit(3);
    }

    Object configEntryObj = module(loader, "org.apache.spark.internal.config.ConfigEntry$");
    int initialised = 0;
    TreeMap<String, String> failures = new TreeMap<>();
    for (String cls : candidates) {
      try {
        Class.forName(cls, true, loader);
        initialised++;
      } catch (Throwable t) {
        Throwable root = t;
        while (root.getCause() != null) {
          root = root.getCause();
        }
        failures.put(cls, root.getClass().getSimpleName() + ": " + firstLine(root.getMessage()));
      }
    }

    // 2. Read the registry.
    @SuppressWarnings("unchecked")
    Map<String, Object> known = (Map<String, Object>) call(configEntryObj, "knownConfigs");
    TreeMap<String, Map<String, Object>> keys = new TreeMap<>();
    TreeMap<String, String> alternatives = new TreeMap<>(); // old name -> current key
    TreeMap<String, String> rawDefaults = new TreeMap<>(); // for the environment probe
    for (Map.Entry<String, Object> e : new TreeMap<>(known).entrySet()) {
      Object entry = e.getValue();
      Map<String, Object> info = new LinkedHashMap<>();
      String type = entry.getClass().getSimpleName();
      String since = (String) call(entry, "version");
      info.put("default", null);
      info.put("since", since == null || since.isEmpty() ? null : since);
      if (type.equals("FallbackConfigEntry")) {
        info.put("fallback", call(call(entry, "fallback"), "key"));
      } else if (type.equals("ConfigEntryWithDefaultFunction")) {
        // Computed when read (host name, time zone, cores...): not a fixed value.
        info.put("dynamicDefault", Boolean.TRUE);
      } else {
        String d;
        try {
          d = (String) call(entry, "defaultValueString");
        } catch (Throwable t) {
          d = null;
        }
        if (d != null && !d.equals("<undefined>")) {
          info.put("default", d);
          rawDefaults.put(e.getKey(), d);
        }
      }
      if (!Boolean.TRUE.equals(call(entry, "isPublic"))) {
        info.put("internal", Boolean.TRUE);
      }
      keys.put(e.getKey(), info);
      for (Object alt : scalaIterable(call(entry, "alternatives"))) {
        alternatives.putIfAbsent((String) alt, e.getKey());
      }
    }

    if (opts.containsKey("--probe-out")) {
      // Child run in another environment: only report the defaults.
      StringBuilder sb = new StringBuilder();
      for (Map.Entry<String, String> d : rawDefaults.entrySet()) {
        sb.append(d.getKey()).append('\0').append(d.getValue()).append('\0');
      }
      Files.write(Paths.get(opts.get("--probe-out")), sb.toString().getBytes(StandardCharsets.UTF_8));
      System.exit(0);
    }
    // Defaults computed from the machine when Spark starts (working directory, host name, time zone,
    // cores, memory, temp dir, user) differ between two environments: mark them instead of writing
    // this machine's values, so the output is the same on every machine.
    TreeMap<String, String> probe = probeOtherEnvironment(args);
    TreeSet<String> envDependent = new TreeSet<>();
    for (Map.Entry<String, String> d : rawDefaults.entrySet()) {
      if (!d.getValue().equals(probe.get(d.getKey()))) {
        envDependent.add(d.getKey());
        Map<String, Object> info = keys.get(d.getKey());
        info.put("default", null);
        info.remove("internal");
        info.put("dynamicDefault", Boolean.TRUE);
        if (!Boolean.TRUE.equals(call(known.get(d.getKey()), "isPublic"))) {
          info.put("internal", Boolean.TRUE);
        }
      }
    }

    // SparkConf's own table of old names that SparkConf.get translates (not ConfigEntry alternatives).
    Object sparkConf = module(loader, "org.apache.spark.SparkConf$");
    Object withAlts = scalaField(sparkConf, "configsWithAlternatives");
    TreeMap<String, String> alternativeSince = new TreeMap<>();
    for (Object tuple : scalaIterable(withAlts)) {
      String key = (String) call(tuple, "_1");
      for (Object alt : scalaIterable(call(tuple, "_2"))) {
        String altKey = (String) call(alt, "key");
        alternatives.putIfAbsent(altKey, key);
        alternativeSince.putIfAbsent(altKey, (String) call(alt, "version"));
      }
    }
    int alternativeCount = 0;
    TreeMap<String, String> alternativeClashes = new TreeMap<>();
    for (Map.Entry<String, String> a : alternatives.entrySet()) {
      if (keys.containsKey(a.getKey())) {
        // The old name is also a key of its own: keep the real entry, note the relation.
        keys.get(a.getKey()).put("alsoAlternativeOf", a.getValue());
        alternativeClashes.put(a.getKey(), a.getValue());
        continue;
      }
      Map<String, Object> info = new LinkedHashMap<>();
      info.put("default", null);
      info.put("since", null);
      info.put("alternativeOf", a.getValue());
      String deprecatedIn = alternativeSince.get(a.getKey());
      if (deprecatedIn != null) {
        info.put("deprecatedSince", deprecatedIn);
      }
      keys.put(a.getKey(), info);
      alternativeCount++;
    }

    // Deprecated and removed keys, kept apart: Spark warns about (deprecated) or rejects (removed) them.
    TreeMap<String, Map<String, Object>> deprecated = new TreeMap<>();
    for (Object tuple : scalaIterable(scalaField(sparkConf, "deprecatedConfigs"))) {
      Object dc = call(tuple, "_2");
      Map<String, Object> info = new LinkedHashMap<>();
      info.put("since", call(dc, "version"));
      deprecated.put((String) call(tuple, "_1"), info);
    }
    TreeMap<String, Map<String, Object>> removed = new TreeMap<>();
    Object sqlConf = null;
    try {
      sqlConf = module(loader, "org.apache.spark.sql.internal.SQLConf$");
    } catch (Throwable t) {
      failures.put("org.apache.spark.sql.internal.SQLConf$", t.toString());
    }
    if (sqlConf != null) {
      for (Object tuple : scalaIterable(call(sqlConf, "deprecatedSQLConfigs"))) {
        Object dc = call(tuple, "_2");
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("since", call(dc, "version"));
        deprecated.put((String) call(tuple, "_1"), info);
      }
      for (Object tuple : scalaIterable(call(sqlConf, "removedSQLConfigs"))) {
        Object rc = call(tuple, "_2");
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("removedIn", call(rc, "version"));
        info.put("onlyAllowedValue", call(rc, "defaultValue"));
        removed.put((String) call(tuple, "_1"), info);
      }
    }
    // A deprecated key that still is an entry (or alternative) is marked there, not listed apart.
    for (Iterator<Map.Entry<String, Map<String, Object>>> it = deprecated.entrySet().iterator();
        it.hasNext(); ) {
      Map.Entry<String, Map<String, Object>> d = it.next();
      Map<String, Object> info = keys.get(d.getKey());
      if (info != null) {
        info.put("deprecatedSince", d.getValue().get("since"));
        it.remove();
      }
    }

    keys.keySet().removeIf(k -> !k.startsWith("spark."));
    deprecated.keySet().removeIf(k -> !k.startsWith("spark."));
    removed.keySet().removeIf(k -> !k.startsWith("spark."));

    // 3. Write the file: one key a line, sorted, so that diffs stay readable.
    StringBuilder sb = new StringBuilder();
    sb.append("{\n");
    sb.append("  \"sparkVersion\": ").append(json(version)).append(",\n");
    sb.append("  \"generatedBy\": \"scripts/spark-conf-keys/generate\",\n");
    sb.append("  \"modules\": ").append(json(new ArrayList<>(new TreeSet<>(scanned)))).append(",\n");
    sb.append("  \"keys\": ");
    appendTable(sb, keys);
    sb.append(",\n  \"deprecated\": ");
    appendTable(sb, deprecated);
    sb.append(",\n  \"removed\": ");
    appendTable(sb, removed);
    sb.append("\n}\n");
    Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
    Files.write(tmp, sb.toString().getBytes(StandardCharsets.UTF_8));
    Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

    long entries = keys.values().stream().filter(v -> !v.containsKey("alternativeOf")).count();
    realOut.printf(
        "spark %s: %d keys (%d entries + %d alternative names), %d deprecated, %d removed;"
            + " %d/%d objects initialised%n",
        version, keys.size(), entries, alternativeCount, deprecated.size(), removed.size(),
        initialised, candidates.size());
    realOut.flush();
    for (Map.Entry<String, String> f : failures.entrySet()) {
      realErr.println("  warning: could not initialise " + f.getKey() + ": " + f.getValue());
    }
    if (!envDependent.isEmpty()) {
      realErr.println("  note: machine-dependent defaults written as dynamicDefault: " + envDependent);
    }
    for (Map.Entry<String, String> c : alternativeClashes.entrySet()) {
      realErr.println("  note: " + c.getKey() + " is both a key and an old name of " + c.getValue());
    }
    realOut.flush();
    // Some objects start non-daemon threads (e.g. shutdown-hook managers): leave now.
    System.exit(0);
  }

  /** Runs this class again in a different environment and returns the defaults it saw. */
  private static TreeMap<String, String> probeOtherEnvironment(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("spark-conf-keys-probe");
    Path out = dir.resolve("defaults.bin");
    List<String> cmd = new ArrayList<>();
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    int cores = Runtime.getRuntime().availableProcessors();
    long maxMem = Runtime.getRuntime().maxMemory();
    cmd.add("-XX:ActiveProcessorCount=" + (cores + 3));
    cmd.add(maxMem > (1L << 30) ? "-Xmx700m" : "-Xmx1500m");
    cmd.add("-Djava.io.tmpdir=" + dir);
    cmd.add("-Duser.home=" + dir);
    cmd.add("-Duser.name=sparkconfkeysprobe");
    cmd.add("-Duser.timezone=Pacific/Chatham");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(SparkConfKeys.class.getName());
    cmd.addAll(Arrays.asList(args));
    cmd.add("--probe-out");
    cmd.add(out.toString());
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("SPARK_") || k.startsWith("HADOOP_") || k.startsWith("PYSPARK"));
    env.put("TZ", "Pacific/Chatham");
    env.put("HOME", dir.toString());
    env.put("USER", "sparkconfkeysprobe");
    env.put("SPARK_LOCAL_HOSTNAME", "probe-host.invalid");
    env.put("SPARK_LOCAL_IP", "127.0.0.9");
    pb.redirectOutput(dir.resolve("log.txt").toFile());
    int rc = pb.start().waitFor();
    if (rc != 0 || !Files.exists(out)) {
      throw new IllegalStateException("environment probe failed (" + rc + "): "
          + new String(Files.readAllBytes(dir.resolve("log.txt")), StandardCharsets.UTF_8));
    }
    String[] parts = new String(Files.readAllBytes(out), StandardCharsets.UTF_8).split("\0", -1);
    TreeMap<String, String> defaults = new TreeMap<>();
    for (int i = 0; i + 1 < parts.length; i += 2) {
      defaults.put(parts[i], parts[i + 1]);
    }
    try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    return defaults;
  }

  private static void appendTable(StringBuilder sb, TreeMap<String, Map<String, Object>> table) {
    if (table.isEmpty()) {
      sb.append("{}");
      return;
    }
    sb.append("{\n");
    int i = 0;
    for (Map.Entry<String, Map<String, Object>> e : table.entrySet()) {
      sb.append("    ").append(json(e.getKey())).append(": {");
      int j = 0;
      for (Map.Entry<String, Object> f : e.getValue().entrySet()) {
        sb.append(j++ == 0 ? "" : ", ").append(json(f.getKey())).append(": ").append(json(f.getValue()));
      }
      sb.append("}").append(++i < table.size() ? ",\n" : "\n");
    }
    sb.append("  }");
  }

  /** "spark-core_2.13-4.0.5.jar" -> "core"; null for non-Spark jars. */
  static String moduleOf(String jarName, String version) {
    String suffix = "-" + version + ".jar";
    if (!jarName.startsWith("spark-") || !jarName.endsWith(suffix)) {
      return null;
    }
    String base = jarName.substring("spark-".length(), jarName.length() - suffix.length());
    int scala = base.lastIndexOf("_2.1");
    return scala < 0 ? base : base.substring(0, scala);
  }

  private static Object module(ClassLoader loader, String cls) throws Exception {
    return Class.forName(cls, true, loader).getField("MODULE$").get(null);
  }

  private static Object call(Object target, String method) throws Exception {
    Method m = findMethod(target.getClass(), method);
    m.setAccessible(true);
    return m.invoke(target);
  }

  private static Method findMethod(Class<?> c, String name) throws NoSuchMethodException {
    for (Class<?> k = c; k != null; k = k.getSuperclass()) {
      for (Method m : k.getDeclaredMethods()) {
        if (m.getName().equals(name) && m.getParameterCount() == 0) {
          return m;
        }
      }
    }
    throw new NoSuchMethodException(c.getName() + "." + name);
  }

  /** A field of a Scala object; scalac may have mangled the name to "pkg$Cls$$name". */
  private static Object scalaField(Object target, String name) throws Exception {
    for (Field f : target.getClass().getDeclaredFields()) {
      if (f.getName().equals(name) || f.getName().endsWith("$$" + name)) {
        f.setAccessible(true);
        return f.get(target);
      }
    }
    throw new NoSuchFieldException(target.getClass().getName() + "." + name);
  }

  /** Iterates a Scala collection (2.12 or 2.13) through its iterator(). */
  private static List<Object> scalaIterable(Object coll) throws Exception {
    List<Object> out = new ArrayList<>();
    if (coll instanceof Collection) {
      out.addAll((Collection<?>) coll);
      return out;
    }
    Object it = call(coll, "iterator");
    Method hasNext = findMethod(it.getClass(), "hasNext");
    Method next = findMethod(it.getClass(), "next");
    hasNext.setAccessible(true);
    next.setAccessible(true);
    while ((Boolean) hasNext.invoke(it)) {
      out.add(next.invoke(it));
    }
    return out;
  }

  private static boolean contains(byte[] hay, String needle) {
    byte[] n = needle.getBytes(StandardCharsets.UTF_8);
    outer:
    for (int i = 0; i + n.length <= hay.length; i++) {
      for (int j = 0; j < n.length; j++) {
        if (hay[i + j] != n[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static String require(Map<String, String> opts, String name) {
    String v = opts.get(name);
    if (v == null) {
      throw new IllegalArgumentException("missing " + name);
    }
    return v;
  }

  private static String json(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof Boolean) {
      return v.toString();
    }
    if (v instanceof List) {
      StringBuilder sb = new StringBuilder("[");
      for (Object o : (List<?>) v) {
        sb.append(sb.length() > 1 ? ", " : "").append(json(o));
      }
      return sb.append("]").toString();
    }
    String s = v.toString();
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          sb.append("\\\"");
          break;
        case '\\':
          sb.append("\\\\");
          break;
        case '\n':
          sb.append("\\n");
          break;
        case '\r':
          sb.append("\\r");
          break;
        case '\t':
          sb.append("\\t");
          break;
        default:
          if (c < 0x20 || c > 0x7e) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
      }
    }
    return sb.append('"').toString();
  }

  private SparkConfKeys() {}
}
