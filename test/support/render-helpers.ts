// Helpers that read rendered objects back the way their consumers do.
import { parse } from 'yaml';
import { renderSparkApplication, type KubeObject, type SparkApplicationSpec } from '../../lib/core';

/** Reads a java.util.Properties text (the subset formatJavaProperties writes: key=value lines, backslash escapes). */
export function parseJavaProperties(text: string): Record<string, string> {
  const unescape = (s: string) =>
    s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) =>
      c.length === 5 ? String.fromCharCode(parseInt(c.slice(1), 16)) : ({ n: '\n', r: '\r', t: '\t', f: '\f' } as Record<string, string>)[c] ?? c,
    );
  const result: Record<string, string> = {};
  for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) {
    const separator = line.search(/(?<!\\)(?:\\\\)*=/) + (line.match(/(?<!\\)((?:\\\\)*)=/)?.[1].length ?? 0);
    result[unescape(line.slice(0, separator))] = unescape(line.slice(separator + 1));
  }
  return result;
}

/** The rendered objects of a spec, with accessors for the parts tests look at. */
export function rendered(spec: SparkApplicationSpec) {
  const objects = renderSparkApplication(spec);
  const one = (kind: string, name?: string): any => {
    const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
    if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
    return found[0];
  };
  const configMap = one('ConfigMap');
  const job = one('Job');
  return {
    objects: objects as KubeObject[],
    one,
    job,
    driverPod: job.spec.template,
    driverContainer: job.spec.template.spec.containers[0],
    properties: parseJavaProperties(configMap.data['spark.properties']),
    executorTemplate: parse(configMap.data['executor-pod-template.yaml']),
    role: one('Role'),
  };
}
