// The checks every component's validator makes of its props: optional values, name lists, label
// and annotation maps, tolerations, quantities and sizes. Components extend PropsChecker, so one
// kind of mistake reads the same in every component's error.
import { dnsSubdomainProblem, labelValueProblem, qualifiedNameProblem } from './kube-names';
import { parseKubeQuantity, parseSparkSizeMiB } from './quantity';
import type { ProblemCollector } from './validation';

/** Why `value` is not an image reference, if it is not. */
export function imageProblem(value: unknown): string | undefined {
  return typeof value === 'string' && /^\S+$/.test(value) ? undefined : 'must be an image reference without blanks, e.g. "apache/spark:4.0.2"';
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$|^[0-9a-fA-F:]+\/\d{1,3}$/;

/** Image pull policies. */
export const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];

export const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
/** Like isRecord, without narrowing: for values the spec already types. */
export const isObject = (value: unknown): boolean => isRecord(value);
export const isInteger = (value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;

/** Base of the component validators: records problems in `problems`. */
export class PropsChecker {
  constructor(protected readonly problems: ProblemCollector) {}

  /** Checks `value` with `problemOf` unless it is undefined. */
  protected optional(path: string, value: unknown, problemOf: (value: unknown) => string | undefined): void {
    if (value === undefined) return;
    const problem = problemOf(value);
    if (problem) this.problems.add(path, value, problem);
  }

  /** An image pull policy. */
  protected pullPolicy(path: string, value: unknown): void {
    this.optional(path, value, (v) => (PULL_POLICIES.includes(v as string) ? undefined : `must be one of ${PULL_POLICIES.join(', ')}`));
  }

  /** A list of object names (DNS subdomains). */
  protected nameList(path: string, names: unknown): void {
    if (names === undefined) return;
    if (!Array.isArray(names)) return this.problems.add(path, names, 'must be a list of object names');
    names.forEach((name, i) => this.optional(`${path}[${i}]`, name, (v) => dnsSubdomainProblem(v)));
  }

  /** Labels (`labelValues`) or annotations: qualified keys, string values. */
  protected stringMap(path: string, map: unknown, labelValues: boolean): void {
    if (map === undefined) return;
    if (!isRecord(map)) return this.problems.add(path, map, 'must map keys to string values');
    for (const [key, value] of Object.entries(map)) {
      const keyProblem = qualifiedNameProblem(key);
      if (keyProblem) this.problems.add(`${path}["${key}"]`, key, `key ${keyProblem}`);
      const valueProblem = labelValues ? labelValueProblem(value) : typeof value === 'string' ? undefined : 'must be a string';
      if (valueProblem) this.problems.add(`${path}["${key}"]`, value, valueProblem);
    }
  }

  /** NetworkPolicy peers: address blocks or pod and namespace labels. */
  protected networkPeers(path: string, peers: unknown, required: boolean): void {
    if (!Array.isArray(peers) || (required && peers.length === 0)) {
      return this.problems.add(path, peers, `must be a ${required ? 'non-empty ' : ''}list of { cidr } or { podLabels, namespaceLabels }`);
    }
    peers.forEach((peer: unknown, i) => {
      const at = `${path}[${i}]`;
      if (!isRecord(peer)) return this.problems.add(at, peer, 'must be { cidr } or { podLabels, namespaceLabels }');
      if (peer.cidr !== undefined && (peer.podLabels !== undefined || peer.namespaceLabels !== undefined)) {
        return this.problems.add(at, peer, 'gives cidr together with labels; one rule admits one kind of peer: split it in two');
      }
      if (peer.cidr !== undefined) this.optional(`${at}.cidr`, peer.cidr, (v) => (typeof v === 'string' && CIDR.test(v) ? undefined : 'must be an address block such as "10.0.0.12/32"'));
      else if (peer.podLabels === undefined && peer.namespaceLabels === undefined) this.problems.add(at, peer, 'selects nothing: give cidr, podLabels or namespaceLabels');
      this.stringMap(`${at}.podLabels`, peer.podLabels, true);
      this.stringMap(`${at}.namespaceLabels`, peer.namespaceLabels, true);
    });
  }

  /** Pod tolerations. */
  protected checkTolerations(path: string, tolerations: unknown): void {
    if (tolerations === undefined) return;
    if (!Array.isArray(tolerations)) return this.problems.add(path, tolerations, 'must be a list of tolerations');
    tolerations.forEach((t, i) => {
      if (!isRecord(t)) return this.problems.add(`${path}[${i}]`, t, 'must be a toleration object');
      if (t.operator !== undefined && t.operator !== 'Equal' && t.operator !== 'Exists') this.problems.add(`${path}[${i}].operator`, t.operator, 'must be "Equal" or "Exists"');
      if (t.operator === 'Exists' && t.value !== undefined) this.problems.add(`${path}[${i}].value`, t.value, 'must be empty with operator "Exists"');
      if (t.operator !== 'Exists' && !t.key) this.problems.add(`${path}[${i}].key`, t.key, 'is required unless operator is "Exists" (which, without a key, tolerates every taint)');
      // An empty effect tolerates every effect.
      if (t.effect !== undefined && !['', 'NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect as string)) this.problems.add(`${path}[${i}].effect`, t.effect, 'must be NoSchedule, PreferNoSchedule or NoExecute (or empty for all)');
      if (t.tolerationSeconds !== undefined && (t.effect !== 'NoExecute' || !isInteger(t.tolerationSeconds, 0))) {
        this.problems.add(`${path}[${i}].tolerationSeconds`, t.tolerationSeconds, 'needs effect "NoExecute" and a whole number of seconds ≥ 0');
      }
    });
  }
}

/** Why `value` is not a positive Kubernetes quantity, if it is not. */
export function positiveQuantityProblem(value: unknown, example: string): string | undefined {
  const quantity = parseKubeQuantity(value);
  return quantity !== undefined && quantity > 0 ? undefined : `must be a positive Kubernetes quantity, e.g. ${example}`;
}

/** Why `value` is not a Spark size of at least `minMiB`, if it is not. */
export function sparkSizeProblem(value: unknown, minMiB: number): string | undefined {
  const mib = parseSparkSizeMiB(value);
  if (mib === undefined) return 'must be a Spark size: a whole number with a unit k, m, g or t (e.g. "512m", "4g")';
  if (mib < minMiB) return `must be at least ${minMiB}m${minMiB > 0 ? ' (Spark refuses a smaller heap)' : ''}`;
  if (mib > 16 * 1024 * 1024) return 'must be at most 16t';
  return undefined;
}
