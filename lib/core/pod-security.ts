// Pod Security Standards: the security contexts every pod we render starts from, and the check
// that user customisations keep a pod within the level its namespace enforces.
import type { KubeContainer, KubeSecurityContext, KubeVolume } from './kube-objects';
import type { ProblemCollector } from './validation';

/** A Pod Security Standards level. */
export type PodSecurityLevel = 'restricted' | 'baseline' | 'privileged';

/** The UID and GID of the user in Apache Spark's images. */
export const SPARK_UID = 185;

/** The pod-level security context: non-root, RuntimeDefault seccomp, files group-owned by Spark's GID. */
export function restrictedPodSecurityContext(uid: number = SPARK_UID): Record<string, unknown> {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** The restricted container security context, with the user's fields merged over it. */
export function containerSecurityContext(overrides: KubeSecurityContext = {}, uid: number = SPARK_UID): KubeSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
    ...overrides,
  };
}

// Volume sources the "restricted" profile allows; "baseline" forbids only hostPath of these.
const restrictedVolumeSources = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
const baselineCapabilities = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);

const levelRank: Record<PodSecurityLevel, number> = { privileged: 0, baseline: 1, restricted: 2 };

/** Whether a pod must meet `required` given the level the user chose. */
function demands(level: PodSecurityLevel, required: PodSecurityLevel): boolean {
  return levelRank[level] >= levelRank[required];
}

const lowerTheLevel = (needed: PodSecurityLevel) =>
  `it breaks the Pod Security "${needed === 'baseline' ? 'restricted' : 'baseline'}" level; remove it, or set podSecurity to "${needed}" and label the namespace to allow it`;

/** Records every way `volumes` break the chosen Pod Security level. */
export function checkVolumesAgainstLevel(volumes: readonly KubeVolume[], level: PodSecurityLevel, path: string, problems: ProblemCollector): void {
  volumes.forEach((volume, i) => {
    const sources = Object.keys(volume).filter((k) => k !== 'name');
    if (sources.includes('hostPath') && demands(level, 'baseline')) {
      problems.add(`${path}[${i}].hostPath`, volume.hostPath, lowerTheLevel('privileged'));
    } else if (demands(level, 'restricted')) {
      for (const source of sources.filter((s) => !restrictedVolumeSources.has(s))) {
        problems.add(`${path}[${i}].${source}`, (volume as any)[source], lowerTheLevel('baseline'));
      }
    }
  });
}

/** Records every way a container's final security context breaks the chosen Pod Security level. */
export function checkContainerAgainstLevel(context: KubeSecurityContext, level: PodSecurityLevel, path: string, problems: ProblemCollector): void {
  if (context.privileged && demands(level, 'baseline')) problems.add(`${path}.privileged`, true, lowerTheLevel('privileged'));
  const added = context.capabilities?.add ?? [];
  for (const capability of added) {
    if (demands(level, 'restricted') && capability !== 'NET_BIND_SERVICE') {
      problems.add(`${path}.capabilities.add`, capability, lowerTheLevel(baselineCapabilities.has(capability) ? 'baseline' : 'privileged'));
    } else if (demands(level, 'baseline') && !baselineCapabilities.has(capability)) {
      problems.add(`${path}.capabilities.add`, capability, lowerTheLevel('privileged'));
    }
  }
  if (!demands(level, 'restricted')) return;
  if (context.allowPrivilegeEscalation !== false) problems.add(`${path}.allowPrivilegeEscalation`, context.allowPrivilegeEscalation, lowerTheLevel('baseline'));
  if (context.runAsNonRoot === false || context.runAsUser === 0) {
    problems.add(`${path}.${context.runAsUser === 0 ? 'runAsUser' : 'runAsNonRoot'}`, context.runAsUser === 0 ? 0 : false, lowerTheLevel('baseline'));
  }
  if (!(context.capabilities?.drop ?? []).includes('ALL')) problems.add(`${path}.capabilities.drop`, context.capabilities?.drop, lowerTheLevel('baseline'));
  const seccomp = context.seccompProfile?.type;
  if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') problems.add(`${path}.seccompProfile`, context.seccompProfile, lowerTheLevel('baseline'));
}

/** Every container of `containers` with the restricted security context merged under its own. */
export function withRestrictedDefaults(containers: readonly KubeContainer[] = []): KubeContainer[] {
  return containers.map((container) => ({ ...container, securityContext: containerSecurityContext(container.securityContext) }));
}
