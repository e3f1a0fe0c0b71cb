// Prometheus' text exposition format, as far as the pushing sidecar needs it: telling a metrics body
// from the page Spark's UI serves while it starts, and adding the labels a scrape would have added
// (pod, role) to every sample, since the Pushgateway keeps the labels it is given.

/** One sample line: name, optional labels, value, optional timestamp. */
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?[ \t]+(\S+)([ \t]+-?[0-9]+)?$/;

/**
 * The body's sample lines if every line is a sample, a comment or blank, and at least one is a
 * sample; undefined otherwise. While the UI starts, Spark answers 200 with a text page ("Spark is
 * starting up…"), which must not be pushed as metrics.
 */
export function sampleLines(body: string): string[] | undefined {
  const samples: string[] = [];
  for (const raw of body.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (!SAMPLE.test(line)) return undefined;
    samples.push(line);
  }
  return samples.length ? samples : undefined;
}

/** A label value escaped for the text format. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** `samples` with `labels` added to each (a label a sample already has is left as it is). */
export function withLabels(samples: readonly string[], labels: Readonly<Record<string, string>>): string {
  return samples.map((line) => {
    const [, name, braces, value, timestamp] = SAMPLE.exec(line)!;
    const inner = braces ? braces.slice(1, -1).trim().replace(/,$/, '') : '';
    const missing = Object.entries(labels).filter(([label]) => !new RegExp(`(^|,)\\s*${label}\\s*=`).test(inner));
    const added = missing.map(([label, v]) => `${label}="${escapeLabelValue(v)}"`);
    const all = [inner, ...added].filter(Boolean).join(',');
    return `${name}{${all}} ${value}${timestamp ?? ''}`;
  }).join('\n') + '\n';
}
