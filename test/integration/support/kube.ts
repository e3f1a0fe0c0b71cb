// A tiny layer over the kubectl the global setup chose: run it, read JSON, apply manifests from
// stdin, poll until something holds, and give each test its own Pod-Security-restricted namespace.
import { spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import { parseAllDocuments } from 'yaml';
import { connection } from './cluster-env';

/** Any Kubernetes object, as read from the API server or rendered. */
export type KubeObj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [key: string]: any }; [key: string]: any };

/** The result of one kubectl run. */
export interface KubectlResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A kubectl run that failed: the command, its exit status and its stderr, in the message. */
export class KubectlError extends Error {
  constructor(readonly args: readonly string[], readonly result: KubectlResult) {
    super(`kubectl ${args.join(' ')} exited with status ${result.status}:\n${result.stderr.trim() || result.stdout.trim() || '(no output)'}`);
    this.name = 'KubectlError';
  }
}

export interface KubectlOptions {
  /** Written to kubectl's stdin: a string as is, anything else as JSON. */
  readonly input?: string | unknown;
  /** Return a non-zero exit instead of throwing. @default false */
  readonly allowFailure?: boolean;
  /** Kill kubectl after this long. @default 60_000 */
  readonly timeoutMs?: number;
  /** Extra environment variables (e.g. KUBECTL_APPLYSET). @default - none */
  readonly env?: Record<string, string>;
}

/** Runs the suite's kubectl against the suite's cluster (never a KUBECONFIG the user happens to have set, in harness mode). */
export function kubectl(args: readonly string[], options: KubectlOptions = {}): KubectlResult {
  const { kubectl: binary, kubeconfig } = connection();
  const fullArgs = [...(kubeconfig ? ['--kubeconfig', kubeconfig] : []), '--request-timeout=30s', ...args];
  const input = options.input === undefined ? undefined : typeof options.input === 'string' ? options.input : JSON.stringify(options.input);
  const run = spawnSync(binary, fullArgs, {
    input,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, ...options.env, ...(kubeconfig ? { KUBECONFIG: kubeconfig } : {}) },
  });
  if (run.error) throw new Error(`could not run ${binary} ${args.join(' ')}: ${run.error.message}`);
  const result: KubectlResult = { status: run.status ?? -1, stdout: run.stdout ?? '', stderr: run.stderr ?? '' };
  if (result.status !== 0 && !options.allowFailure) throw new KubectlError(args, result);
  return result;
}

/** kubectl with `-o json`, parsed. */
export function kubectlJson<T = any>(args: readonly string[], options: KubectlOptions = {}): T {
  const { stdout } = kubectl([...args, '-o', 'json'], options);
  return JSON.parse(stdout) as T;
}

/** kubectl with `-o yaml`, every document parsed (for commands that print one object per input object). */
export function kubectlDocuments<T = any>(args: readonly string[], options: KubectlOptions = {}): T[] {
  const { stdout } = kubectl([...args, '-o', 'yaml'], options);
  return parseAllDocuments(stdout).map((d) => d.toJSON() as T).filter((o) => o !== null);
}

/** The field manager of every apply and diff of the suite (diff must use the apply's, or it sees conflicts). */
export const FIELD_MANAGER = 'sparkplane-integration';

/**
 * The objects as a stream of JSON documents. Not a v1 List: kubectl validates a List's items on the
 * client (against OpenAPI v2) instead of sending each to the API server with fieldValidation=Strict.
 */
export function manifestStream(objects: readonly unknown[]): string {
  return objects.map((o) => JSON.stringify(o)).join('\n---\n') + '\n';
}

/**
 * Server-side apply with strict field validation (`--validate=strict`: kubectl sends
 * fieldValidation=Strict, so an unknown or duplicated field is an error, not a warning). Returns
 * kubectl's result (stderr carries the API server's warnings, PodSecurity's included).
 */
export function apply(objects: readonly unknown[], options: { namespace: string }): KubectlResult {
  return kubectl(
    ['apply', '--server-side', '--validate=strict', '--force-conflicts', `--field-manager=${FIELD_MANAGER}`, '-n', options.namespace, '-f', '-'],
    { input: manifestStream(objects) },
  );
}

/** `kubectl diff --server-side` of the objects against the cluster: exit 0 no difference, 1 differences, else an error. */
export function serverSideDiff(objects: readonly unknown[], options: { namespace: string }): KubectlResult {
  const result = kubectl(
    ['diff', '--server-side', '--force-conflicts', `--field-manager=${FIELD_MANAGER}`, '-n', options.namespace, '-f', '-'],
    { input: manifestStream(objects), allowFailure: true },
  );
  if (result.status > 1) throw new KubectlError(['diff', '--server-side', '-n', options.namespace, '-f', '-'], result);
  return result;
}

/**
 * Strict server-side apply of objects that span namespaces: `kubectl apply -n X` refuses an object
 * of another namespace ("the namespace from the provided object ... does not match"), so there is
 * one apply per namespace, cluster-scoped objects going with the first (kubectl ignores -n for them).
 */
export function applyAcrossNamespaces(objects: readonly KubeObj[], firstNamespace: string): KubectlResult[] {
  return groupByNamespace(objects, firstNamespace).map(([namespace, group]) => apply(group, { namespace }));
}

/** serverSideDiff of objects that span namespaces, as applyAcrossNamespaces applies them. */
export function diffAcrossNamespaces(objects: readonly KubeObj[], firstNamespace: string): KubectlResult[] {
  return groupByNamespace(objects, firstNamespace).map(([namespace, group]) => serverSideDiff(group, { namespace }));
}

function groupByNamespace(objects: readonly KubeObj[], firstNamespace: string): Array<[string, KubeObj[]]> {
  const groups = new Map<string, KubeObj[]>([[firstNamespace, []]]);
  for (const object of objects) {
    const namespace = object.metadata.namespace ?? firstNamespace;
    groups.set(namespace, [...(groups.get(namespace) ?? []), object]);
  }
  return [...groups];
}

/** The live object, or undefined when it does not exist. */
export function getObject(kind: string, name: string, namespace?: string): KubeObj | undefined {
  const result = kubectl(['get', kind, name, ...(namespace ? ['-n', namespace] : []), '-o', 'json', '--ignore-not-found'], {});
  return result.stdout.trim() ? (JSON.parse(result.stdout) as KubeObj) : undefined;
}

/** Live objects of a kind in a namespace, optionally by label selector. */
export function list(kind: string, namespace: string, selector?: string): KubeObj[] {
  return kubectlJson<{ items: KubeObj[] }>(['get', kind, '-n', namespace, ...(selector ? ['-l', selector] : [])]).items;
}

/** Events about one object. */
export function eventsFor(namespace: string, kind: string, name: string): KubeObj[] {
  return kubectlJson<{ items: KubeObj[] }>([
    'get', 'events', '-n', namespace, '--field-selector', `involvedObject.kind=${kind},involvedObject.name=${name}`,
  ]).items;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` until it returns something other than undefined/false/null and returns that; a
 * probe may also throw to say "not yet, because ...". On timeout, fails naming `what` and the last
 * error or value seen.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs: number, what: string, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) {
      const detail = last instanceof Error ? `; last: ${last.message}` : last === undefined ? '' : `; last: ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${detail}`);
    }
    await sleep(intervalMs);
  }
}

/** The label that marks the suite's namespaces, to find any left behind. */
export const TEST_NAMESPACE_LABEL = 'sparkplane.dev/integration-test';

/**
 * Creates a fresh namespace `sp-it-<random>` that enforces (and warns and audits) Pod Security
 * "restricted", and waits for its default ServiceAccount (pods are refused until it exists).
 */
export function createRestrictedNamespace(prefix = 'sp-it'): Promise<string> {
  return createNamespaceAtLevel('restricted', prefix);
}

/** Like createRestrictedNamespace, at another Pod Security level (host network and host paths need "privileged"). */
export async function createNamespaceAtLevel(level: 'restricted' | 'baseline' | 'privileged', prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  await createLabelledNamespace(name, level);
  return name;
}

/**
 * Creates a "restricted" namespace of exactly this name, for examples that name their own
 * namespaces, once any earlier one of that name is gone.
 */
export async function createNamedNamespace(name: string): Promise<void> {
  await deleteNamespaceAndWait(name);
  await createLabelledNamespace(name, 'restricted');
}

/** Deletes a namespace and waits until it is gone (its name can then be used again). */
export async function deleteNamespaceAndWait(name: string): Promise<void> {
  deleteNamespace(name);
  await waitFor(() => getObject('namespace', name) === undefined, 120_000, `namespace ${name} gone`, 500);
}

async function createLabelledNamespace(name: string, level: 'restricted' | 'baseline' | 'privileged'): Promise<void> {
  const labels: Record<string, string> = { [TEST_NAMESPACE_LABEL]: 'true' };
  for (const mode of ['enforce', 'warn', 'audit']) {
    labels[`pod-security.kubernetes.io/${mode}`] = level;
    labels[`pod-security.kubernetes.io/${mode}-version`] = 'latest';
  }
  kubectl(['create', '-f', '-'], { input: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } } });
  await waitFor(() => getObject('serviceaccount', 'default', name), 30_000, `the default ServiceAccount of namespace ${name}`);
}

/** Deletes a namespace without waiting for its finalization (the namespace controller finishes it). */
export function deleteNamespace(name: string | undefined): void {
  if (!name) return;
  kubectl(['delete', 'namespace', name, '--wait=false', '--ignore-not-found'], { allowFailure: true });
}
