package dev.sparkplane.test;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Renders an interpreter template as Zeppelin 0.12.1's K8sSpecTemplate does: the bindings'
 * dotted keys become nested maps (a key that is both a leaf and a prefix keeps its value under
 * "_"), the env map goes in as zeppelin.k8s.envs, and Jinjava renders with lstripBlocks and
 * trimBlocks. Written for sparkplane's tests; the behaviour follows the Zeppelin source cited in
 * docs/zeppelin-research.md.
 *
 * <p>Usage: RenderTemplate TEMPLATE BINDINGS.properties ENVS.properties (prints the result).
 */
public final class RenderTemplate {
  private RenderTemplate() {}

  private static Properties load(String file) throws IOException {
    Properties properties = new Properties();
    try (InputStream in = new FileInputStream(file)) {
      properties.load(in);
    }
    return properties;
  }

  @SuppressWarnings("unchecked")
  static void nest(Map<String, Object> root, String key, Object value) {
    String[] parts = key.split("[.]");
    Map<String, Object> target = root;
    for (int i = 0; i < parts.length - 1; i++) {
      Object child = target.get(parts[i]);
      if (child instanceof Map) {
        target = (Map<String, Object>) child;
      } else {
        Map<String, Object> map = new HashMap<>();
        if (child != null) {
          map.put("_", child);
        }
        target.put(parts[i], map);
        target = map;
      }
    }
    String last = parts[parts.length - 1];
    if (target.get(last) instanceof Map) {
      ((Map<String, Object>) target.get(last)).put("_", value);
    } else {
      target.put(last, value);
    }
  }

  public static void main(String[] args) throws IOException {
    String template = new String(Files.readAllBytes(Paths.get(args[0])), StandardCharsets.UTF_8);
    Map<String, Object> bindings = new HashMap<>();
    Properties properties = load(args[1]);
    for (String key : properties.stringPropertyNames()) {
      nest(bindings, key, properties.getProperty(key));
    }
    Map<String, String> envs = new HashMap<>();
    Properties envProperties = load(args[2]);
    for (String key : envProperties.stringPropertyNames()) {
      envs.put(key, envProperties.getProperty(key));
    }
    nest(bindings, "zeppelin.k8s.envs", envs);
    JinjavaConfig config = JinjavaConfig.newBuilder().withLstripBlocks(true).withTrimBlocks(true).build();
    System.out.print(new Jinjava(config).render(template, bindings));
  }
}
