// What a kubelet computes for a pod before it starts a container, as pure functions: $(VAR)
// expansion, downward-API fields, environment, /etc/hosts, whether a PersistentVolume's node affinity
// admits the node, the capabilities a container is granted, and the bash script that isolates the process (mount namespace, bind mounts, user, capabilities)
// before it execs the container's command.
import type { KubeObj } from '../../integration/support/kube';

/** The only address pods on the process node have: they share the machine's loopback (like hostNetwork). */
export const POD_IP = '127.0.0.1';

/**
 * Kubernetes' $(VAR) expansion (k8s.io/kubernetes third_party/forked/golang/expansion): `$(NAME)`
 * becomes the value of NAME when it is defined, else stays as written; `$$` is an escaped `$`; any
 * other `$` is kept.
 */
export function expandKubeVars(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    let advance = 1;
    if (rest[0] === '$') {
      out += '$';
    } else if (rest[0] === '(') {
      const close = rest.indexOf(')', 1);
      if (close === -1) {
        out += '$(';
      } else {
        const name = rest.slice(1, close);
        const value = lookup(name);
        out += value === undefined ? `$(${name})` : value;
        advance = close + 1;
      }
    } else {
      const next = String.fromCodePoint(rest.codePointAt(0)!); // a rune, as Go decodes it
      out += `$${next}`;
      advance = next.length;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/** A downward-API field of the pod (fieldRef.fieldPath), as the kubelet resolves it. */
export function podField(pod: KubeObj, fieldPath: string): string {
  const quoted = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (quoted) return pod.metadata[quoted[1]]?.[quoted[2]] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata.name;
    case 'metadata.namespace':
      return pod.metadata.namespace ?? 'default';
    case 'metadata.uid':
      return pod.metadata.uid;
    case 'metadata.labels':
    case 'metadata.annotations':
      return Object.entries<string>(pod.metadata[fieldPath.slice('metadata.'.length)] ?? {})
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join('\n');
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? 'default';
    case 'status.podIP':
    case 'status.podIPs':
    case 'status.hostIP':
    case 'status.hostIPs':
      return POD_IP;
    default:
      throw new Error(`fieldRef ${fieldPath} is not supported`);
  }
}

/** Reads a ConfigMap or Secret key (Secret values decoded); undefined when the object or key is missing. */
export type KeyReader = (kind: 'configmap' | 'secret', name: string) => Promise<Record<string, string> | undefined>;

/**
 * The container's environment as the kubelet builds it: the `kubernetes` Service variables, then
 * envFrom (in order, with prefixes), then env (each value expanded with the variables defined
 * before it); valueFrom fieldRef, secretKeyRef, configMapKeyRef and resourceFieldRef.
 */
export async function containerEnv(pod: KubeObj, container: any, read: KeyReader, serviceEnv: Record<string, string>): Promise<Record<string, string>> {
  const env: Record<string, string> = { ...serviceEnv };
  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    const kind = source.configMapRef ? 'configmap' : 'secret';
    const data = await read(kind, ref.name);
    if (!data) {
      if (ref.optional) continue;
      throw new Error(`envFrom: ${kind} "${ref.name}" not found`);
    }
    for (const [key, value] of Object.entries(data)) {
      const name = `${source.prefix ?? ''}${key}`;
      if (/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(name)) env[name] = value;
    }
  }
  for (const variable of container.env ?? []) {
    if (variable.valueFrom === undefined) {
      env[variable.name] = expandKubeVars(variable.value ?? '', (n) => env[n]);
      continue;
    }
    const from = variable.valueFrom;
    if (from.fieldRef) {
      env[variable.name] = podField(pod, from.fieldRef.fieldPath);
    } else if (from.secretKeyRef || from.configMapKeyRef) {
      const ref = from.secretKeyRef ?? from.configMapKeyRef;
      const kind = from.secretKeyRef ? 'secret' : 'configmap';
      const data = await read(kind, ref.name);
      const value = data?.[ref.key];
      if (value === undefined) {
        if (ref.optional) continue;
        throw new Error(`env ${variable.name}: ${kind} "${ref.name}" ${data ? `has no key "${ref.key}"` : 'not found'}`);
      }
      env[variable.name] = value;
    } else if (from.resourceFieldRef) {
      env[variable.name] = resourceField(container, from.resourceFieldRef);
    } else {
      throw new Error(`env ${variable.name}: unsupported valueFrom ${JSON.stringify(from)}`);
    }
  }
  return env;
}

function resourceField(container: any, ref: { resource: string; divisor?: string }): string {
  const [kind, resource] = ref.resource.split('.');
  const value = container.resources?.[kind]?.[resource];
  if (value === undefined) return resource === 'cpu' ? '8' : String(16 * 1024 ** 3); // the node's allocatable, as the kubelet does
  if (resource === 'cpu') return String(Math.ceil(parseQuantity(value) / parseQuantity(ref.divisor ?? '1')));
  return String(Math.ceil(parseQuantity(value) / parseQuantity(ref.divisor ?? '1')));
}

/** A Kubernetes quantity as a number (cores for CPU, bytes for memory). */
export function parseQuantity(quantity: string): number {
  const match = /^([0-9.]+)([a-zA-Z]*)$/.exec(String(quantity).trim());
  if (!match) throw new Error(`not a quantity: ${quantity}`);
  const factors: Record<string, number> = {
    '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4,
  };
  if (!(match[2] in factors)) throw new Error(`unknown quantity suffix in ${quantity}`);
  return Number(match[1]) * factors[match[2]];
}

/** The Service's selector matches the pod. */
export function selects(service: KubeObj, pod: KubeObj): boolean {
  const selector = service.spec?.selector;
  if (!selector || Object.keys(selector).length === 0) return false;
  if ((service.metadata.namespace ?? 'default') !== (pod.metadata.namespace ?? 'default')) return false;
  return Object.entries(selector).every(([k, v]) => pod.metadata.labels?.[k] === v);
}

/** One term of a node selector (a PersistentVolume's `nodeAffinity.required.nodeSelectorTerms[i]`). */
export interface NodeSelectorTerm {
  readonly matchExpressions?: ReadonlyArray<{ key: string; operator: string; values?: readonly string[] }>;
  readonly matchFields?: ReadonlyArray<{ key: string; operator: string; values?: readonly string[] }>;
}

/**
 * Whether a node with these labels and this name matches the terms, as Kubernetes matches them
 * (k8s.io/component-helpers nodeaffinity): any one term; within a term every expression (In, NotIn,
 * Exists, DoesNotExist, Gt, Lt on labels) and field (`metadata.name`, In or NotIn); an empty term, or
 * one with an invalid requirement, matches nothing.
 */
export function matchesNodeSelectorTerms(terms: readonly NodeSelectorTerm[], labels: Readonly<Record<string, string>>, nodeName: string): boolean {
  const integer = (text: string | undefined) => (text !== undefined && /^-?\d+$/.test(text) ? Number(text) : undefined);
  const requirementHolds = (value: string | undefined, operator: string, values: readonly string[]): boolean | undefined => {
    switch (operator) {
      case 'In': return values.length > 0 ? value !== undefined && values.includes(value) : undefined;
      case 'NotIn': return values.length > 0 ? value === undefined || !values.includes(value) : undefined;
      case 'Exists': return values.length === 0 ? value !== undefined : undefined;
      case 'DoesNotExist': return values.length === 0 ? value === undefined : undefined;
      case 'Gt':
      case 'Lt': {
        const bound = values.length === 1 ? integer(values[0]) : undefined;
        if (bound === undefined) return undefined;
        const actual = integer(value);
        return actual !== undefined && (operator === 'Gt' ? actual > bound : actual < bound);
      }
      default: return undefined;
    }
  };
  return terms.some((term) => {
    const expressions = term.matchExpressions ?? [];
    const fields = term.matchFields ?? [];
    if (expressions.length === 0 && fields.length === 0) return false;
    return expressions.every((e) => requirementHolds(labels[e.key], e.operator, e.values ?? []) === true)
      && fields.every((f) => f.key === 'metadata.name' && ['In', 'NotIn'].includes(f.operator) && requirementHolds(nodeName, f.operator, f.values ?? []) === true);
  });
}

/**
 * The pod's /etc/hosts: what the kubelet writes (localhost, the pod's own host name, for a
 * hostNetwork pod the node's), plus what cluster DNS would answer on this one-address network (to a
 * hostNetwork pod too, as under dnsPolicy ClusterFirstWithHostNet): `kubernetes.default.svc` and
 * every Service that selects a pod of this node, under `<svc>.<ns>.svc` (and `<svc>` in the pod's
 * own namespace), all at 127.0.0.1.
 */
export function hostsFile(pod: KubeObj, hostname: string, services: readonly KubeObj[], podsOnNode: readonly KubeObj[]): string {
  const ns = pod.metadata.namespace ?? 'default';
  const lines = [
    '# Kubernetes-managed hosts file (sparkplane e2e process kubelet).',
    `127.0.0.1\tlocalhost`,
    `::1\tlocalhost ip6-localhost ip6-loopback`,
    `${POD_IP}\t${hostname}`,
    `# Services, as cluster DNS would resolve them on this node's network`,
    `${POD_IP}\tkubernetes.default.svc kubernetes.default.svc.cluster.local kubernetes.default${ns === 'default' ? ' kubernetes' : ''}`,
  ];
  for (const service of services) {
    if (!podsOnNode.some((p) => selects(service, p))) continue;
    const name = service.metadata.name;
    const svcNs = service.metadata.namespace ?? 'default';
    lines.push(`${POD_IP}\t${name}.${svcNs}.svc ${name}.${svcNs}.svc.cluster.local ${name}.${svcNs}${svcNs === ns ? ` ${name}` : ''}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * The capabilities this kubelet may grant, by setpriv's names: those that act on files and on the
 * process's own ids. The others (KILL, NET_RAW, NET_ADMIN, MKNOD, SYS_*, …) would act on this
 * machine's processes, network and kernel, which every pod on the process node shares.
 */
const GRANTABLE_CAPABILITIES = ['chown', 'dac_override', 'dac_read_search', 'fowner', 'fsetid', 'setgid', 'setuid', 'net_bind_service'];

/**
 * The capabilities a container's process gets, by setpriv's names (`chown`): its
 * `securityContext.capabilities.add` when it runs as uid 0, none otherwise. The runtime's default set
 * is never granted (as if every container dropped ALL), so a container has exactly what it adds; a
 * non-root process would keep none across exec anyway, as under a container runtime, which sets no
 * ambient capabilities. Throws for a capability outside GRANTABLE_CAPABILITIES.
 */
export function grantedCapabilities(capabilities: { add?: readonly string[] } | undefined, uid: number): string[] {
  if (uid !== 0) return [];
  const granted = new Set<string>();
  for (const name of capabilities?.add ?? []) {
    const capability = name.replace(/^CAP_/i, '').toLowerCase();
    if (!GRANTABLE_CAPABILITIES.includes(capability)) {
      throw new Error(
        `securityContext.capabilities.add: ${name} is not granted by the process kubelet (pods share this machine's processes, network and kernel); it grants ${GRANTABLE_CAPABILITIES.map((c) => c.toUpperCase()).join(', ')}`,
      );
    }
    granted.add(capability);
  }
  return [...granted];
}

/**
 * setpriv's options that leave the process exactly `capabilities`: inheritable, ambient (kept across
 * the exec by a non-root process) and bounding (for root, whose exec takes inheritable | bounding).
 */
function setprivCapabilities(capabilities: readonly string[]): string {
  if (capabilities.length === 0) return '--inh-caps=-all --bounding-set=-all';
  const set = ['-all', ...new Set(capabilities)].map((c, i) => (i === 0 ? c : `+${c}`)).join(',');
  return `--inh-caps=${set} --ambient-caps=${set} --bounding-set=${set}`;
}

/** One bind mount of the pod's filesystem view. */
export interface PodMount {
  /** Where it appears in the pod. */
  readonly target: string;
  /** The host file or folder. */
  readonly source: string;
  readonly readOnly: boolean;
  readonly kind: 'dir' | 'file';
}

/** How the pod's process runs. */
export interface PodProcessSpec {
  readonly mounts: readonly PodMount[];
  /** Scratch folder of the pod on the host, for the stash mounts of folders that get new entries. */
  readonly scratchDir: string;
  readonly hostname: string;
  readonly workingDir: string;
  readonly uid: number;
  readonly gid: number;
  readonly groups: readonly number[];
  readonly readOnlyRootFilesystem: boolean;
  /** Granted to the container's process (setpriv's names, see grantedCapabilities). @default - none */
  readonly capabilities?: readonly string[];
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The script `unshare -m -u --propagation private` runs: it gives the pod its own view of the
 * filesystem and then execs the container command (its arguments) as the pod's user, without
 * privileges and with only the capabilities granted to it, dying with its parent (the kubelet).
 *
 * A mount point that does not exist is created without touching the host: the nearest existing
 * folder above it is covered by a tmpfs that keeps every entry it had (each bind-mounted back in),
 * and the new folders are made in the tmpfs.
 */
export function podStartScript(spec: PodProcessSpec): string {
  const mounts = [...spec.mounts].sort((a, b) => a.target.split('/').length - b.target.split('/').length);
  const lines = [
    '#!/usr/bin/env bash',
    '# Written by the sparkplane e2e process kubelet: the pod\'s filesystem view, then the container.',
    'set -euo pipefail',
    `scratch=${shellQuote(spec.scratchDir)}`,
    'declare -A ours=()',
    'stash=0',
    'die() { echo "process-kubelet: $*" >&2; exit 125; }',
    '# Cover folder $1 with a tmpfs that keeps its entries (bind-mounted back), so entries can be added.',
    'cover() {',
    '  local d="$1" s e b',
    '  stash=$((stash + 1)); s="$scratch/stash-$stash"',
    '  mkdir -p "$s" && mount --rbind "$d" "$s"',
    '  mount -t tmpfs -o mode=0755 tmpfs "$d"',
    '  chmod --reference="$s" "$d"; chown --reference="$s" "$d"',
    '  shopt -s dotglob nullglob',
    '  for e in "$s"/*; do',
    '    b="${e##*/}"',
    '    if [ -e "$d/$b" ] || [ -L "$d/$b" ]; then continue; fi # made meanwhile (mount(8) keeps /run/mount/utab)',
    '    if [ -L "$e" ]; then cp -P "$e" "$d/$b"',
    '    elif [ -d "$e" ]; then mkdir "$d/$b"; mount --rbind "$e" "$d/$b"',
    '    else : >"$d/$b"; mount --bind "$e" "$d/$b"; fi',
    '  done',
    '  shopt -u dotglob nullglob',
    '  ours[$d]=1',
    '}',
    '# Make the mount point $1 (a dir or file, $2) exist, creating nothing on the host.',
    'mount_point() {',
    '  local t="$1" kind="$2" p rest cur',
    '  [ -e "$t" ] && return 0',
    '  p="$(dirname "$t")"',
    '  while [ ! -e "$p" ]; do p="$(dirname "$p")"; done',
    '  [ "$p" != / ] || die "cannot create the mount point $t: that needs a new entry in /"',
    '  rest="${t#"$p"/}"',
    '  p="$(realpath "$p")" # /var/run is a symlink to /run, for one',
    '  [ -n "${ours[$p]:-}" ] || cover "$p"',
    '  cur="$p"',
    '  IFS=/ read -ra parts <<<"$rest"',
    '  for i in "${!parts[@]}"; do',
    '    cur="$cur/${parts[$i]}"',
    '    if [ "$i" -eq $((${#parts[@]} - 1)) ] && [ "$kind" = file ]; then : >"$cur"; else mkdir "$cur"; ours[$cur]=1; fi',
    '  done',
    '}',
    'bind() { # source target ro|rw dir|file name-of-source',
    '  mount_point "$2" "$4"',
    '  mount --bind "$1" "$2" || die "cannot bind $5 at $2"',
    '  if [ "$3" = ro ]; then mount -o remount,bind,ro "$2"; fi',
    '}',
    // Open every source before the first mount and bind from the open descriptor: a mount can hide a
    // later source (the pod's /tmp hides a checkout that lives under /tmp, as CI's may).
    ...mounts.map((m, i) => `exec {source_${i}}<${shellQuote(m.source)}`),
    ...mounts.map((m, i) => `bind "/proc/self/fd/$source_${i}" ${shellQuote(m.target)} ${m.readOnly ? 'ro' : 'rw'} ${m.kind} ${shellQuote(m.source)}`),
    ...mounts.map((_, i) => `exec {source_${i}}<&-`),
    ...(spec.readOnlyRootFilesystem ? ['mount -o remount,bind,ro / || die "cannot make / read-only"'] : []),
    `hostname ${shellQuote(spec.hostname)}`,
    `cd ${shellQuote(spec.workingDir)} || die "no working directory ${spec.workingDir}"`,
    `exec setpriv --reuid=${spec.uid} --regid=${spec.gid} --groups=${[...new Set(spec.groups)].join(',')} --no-new-privs ${setprivCapabilities(spec.capabilities ?? [])} --pdeathsig=KILL -- "$@"`,
  ];
  return lines.join('\n') + '\n';
}

/** How a container of a rootfs image runs: a PodProcessSpec whose mounts are made under the image's root. */
export interface RootfsProcessSpec extends PodProcessSpec {
  /** The image's unpacked root filesystem on the host: the read-only lower layer of the container's root. */
  readonly rootfs: string;
}

/**
 * The script `unshare -m -u --propagation private` runs for a container of a rootfs image: in the
 * container's own mount namespace, an overlay whose lower layer is the image's root filesystem and
 * whose upper layer is a tmpfs (the container's writes are its own and go when it exits, as a
 * container's writable layer does), with /proc, a minimal /dev (null, zero, full, random, urandom,
 * tty, shm), /sys read-only, then every mount at its path inside that root (paths resolved inside
 * the root: an image's absolute symlinks never lead out of it). Then it changes root into it
 * (`unshare --root`) and execs the container command as the pod's user, without privileges (only
 * the capabilities granted to it, and CAP_SYS_CHROOT, ambient, for that chroot), dying with its
 * parent (the kubelet). The command is looked up in the image, with the container's PATH.
 */
export function rootfsStartScript(spec: RootfsProcessSpec): string {
  const mounts = [...spec.mounts].sort((a, b) => a.target.split('/').length - b.target.split('/').length);
  const groups = [...new Set(spec.groups)].join(',');
  const lines = [
    '#!/usr/bin/env bash',
    '# Written by the sparkplane e2e process kubelet: the container\'s root (the image under a throw-away overlay), its mounts, then the container.',
    'set -euo pipefail',
    'die() { echo "process-kubelet: $*" >&2; exit 125; }',
    '# The host path of path $2 inside root $1, following symlinks as the container would see them.',
    'inroot() {',
    '  local root="$1" rest="${2#/}" cur="" part link hops=0',
    '  while [ -n "$rest" ]; do',
    '    part="${rest%%/*}"',
    '    if [ "$part" = "$rest" ]; then rest=""; else rest="${rest#*/}"; fi',
    '    case "$part" in ""|.) continue ;; ..) cur="${cur%/*}"; continue ;; esac',
    '    if [ -L "$root$cur/$part" ]; then',
    '      hops=$((hops + 1)); [ "$hops" -le 40 ] || die "too many symbolic links in $2"',
    '      link="$(readlink "$root$cur/$part")"',
    '      case "$link" in /*) cur="" ;; esac',
    '      rest="${link#/}${rest:+/$rest}"',
    '    else',
    '      cur="$cur/$part"',
    '    fi',
    '  done',
    '  printf "%s\\n" "$root$cur"',
    '}',
    'mnt() { # source target ro|rw dir|file',
    '  local t',
    '  t="$(inroot "$root" "$2")"',
    '  if [ "$4" = dir ]; then mkdir -p "$t"; else mkdir -p "$(dirname "$t")"; [ -e "$t" ] || : >"$t"; fi',
    '  mount --bind "$1" "$t" || die "cannot bind $1 at $2"',
    '  if [ "$3" = ro ]; then mount -o remount,bind,ro "$t"; fi',
    '}',
    `lower=${shellQuote(spec.rootfs)}`,
    `top=${shellQuote(spec.scratchDir)}/root`,
    '[ -d "$lower" ] || die "no image root filesystem at $lower"',
    'case "$lower" in *,* | *:*) die "the image root filesystem path must not hold , or : (overlay options)" ;; esac',
    'mkdir -p "$top" && mount -t tmpfs -o mode=0755 tmpfs "$top"',
    'mkdir "$top/upper" "$top/work" "$top/root"',
    'mount -t overlay overlay -o "lowerdir=$lower,upperdir=$top/upper,workdir=$top/work" "$top/root" || die "cannot mount the image root filesystem"',
    'root="$top/root"',
    'mkdir -p "$root/proc" "$root/dev" "$root/sys" "$root/etc"',
    'mount -t proc -o nosuid,nodev,noexec proc "$root/proc"',
    'mount -t tmpfs -o mode=0755,nosuid tmpfs "$root/dev"',
    'for d in null zero full random urandom tty; do : >"$root/dev/$d"; mount --bind "/dev/$d" "$root/dev/$d"; done',
    'mkdir "$root/dev/shm" "$root/dev/pts" && mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/dev/shm"',
    'ln -s /proc/self/fd "$root/dev/fd" && ln -s /proc/self/fd/0 "$root/dev/stdin" && ln -s /proc/self/fd/1 "$root/dev/stdout" && ln -s /proc/self/fd/2 "$root/dev/stderr"',
    'if mount --rbind /sys "$root/sys"; then mount -o remount,bind,ro "$root/sys" || true; fi',
    ...mounts.map((m) => `mnt ${shellQuote(m.source)} ${shellQuote(m.target)} ${m.readOnly ? 'ro' : 'rw'} ${m.kind}`),
    `mkdir -p "$(inroot "$root" ${shellQuote(spec.workingDir)})"`,
    ...(spec.readOnlyRootFilesystem ? ['mount -o remount,bind,ro "$root" || die "cannot make / read-only"'] : []),
    `hostname ${shellQuote(spec.hostname)}`,
    // chroot(".") from inside: the path to the root may not be searchable by the pod's user.
    'cd "$root"',
    `exec setpriv --reuid=${spec.uid} --regid=${spec.gid} --groups=${groups} --no-new-privs ${setprivCapabilities(['sys_chroot', ...(spec.capabilities ?? [])])} --pdeathsig=KILL -- unshare --root=. --wd=${shellQuote(spec.workingDir)} -- "$@"`,
  ];
  return lines.join('\n') + '\n';
}
