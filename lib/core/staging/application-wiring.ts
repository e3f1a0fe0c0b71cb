// What local dependencies add to an application (docs/staging-server-research.md §7): each local
// file is named by digest in the args of a fetch-staged init container in the driver pod, which
// downloads it from the staging server with the read token (a Secret only that container mounts)
// into an emptyDir; Spark is given file: URIs of those copies, so the driver's own file server hands
// them to executors, which never talk to the staging server.
import type { KubeContainer, KubeVolumeMount } from '../kube-objects';
import { containerSecurityContext } from '../pod-security';
import { SPARKPLANE_IMAGE_UID } from '../allocator/allocator-sidecar';
import { isLocalPath, stagedFileUri, stageLocalFile, type StagedFile } from './local-files';
import { READ_TOKEN_KEY, STAGED_FILES_DIR } from './protocol';
import { stagingServerNames, stagingServerUrl } from './render';
import type { StagingServerRef } from './spec';

/** The Spark keys the dependency props own. */
export const DEPENDENCY_SPARK_KEYS: Readonly<Record<string, string>> = {
  'spark.jars': 'jars',
  'spark.files': 'files',
  'spark.submit.pyFiles': 'pyFiles',
};

/** Name of the init container, and of the two volumes it uses. */
export const FETCH_STAGED_CONTAINER_NAME = 'fetch-staged';
export const STAGED_VOLUME_NAME = 'sparkplane-staged';
export const STAGING_TOKEN_VOLUME_NAME = 'sparkplane-staging-token';
const TOKEN_DIR = '/var/run/sparkplane/staging';

/** An application's dependencies as Spark is given them, and the local files behind them. */
export interface ResolvedDependencies {
  readonly mainApplicationFile: string;
  readonly jars: readonly string[];
  readonly files: readonly string[];
  readonly pyFiles: readonly string[];
  /** The local files to stage, each once. */
  readonly staged: readonly StagedFile[];
}

/** Hashes the local files among the dependencies and gives Spark their staged copies' URIs. */
export function resolveDependencies(spec: { mainApplicationFile: string; jars?: readonly string[]; files?: readonly string[]; pyFiles?: readonly string[] }): ResolvedDependencies {
  const staged = new Map<string, StagedFile>();
  const uri = (dependency: string) => {
    if (!isLocalPath(dependency)) return dependency;
    const file = stageLocalFile(dependency);
    staged.set(file.name, file);
    return stagedFileUri(file);
  };
  return {
    mainApplicationFile: uri(spec.mainApplicationFile),
    jars: (spec.jars ?? []).map(uri),
    files: (spec.files ?? []).map(uri),
    pyFiles: (spec.pyFiles ?? []).map(uri),
    staged: [...staged.values()],
  };
}

/** The driver's init container that fetches the staged files before Spark starts. */
export function fetchStagedContainer(ref: StagingServerRef, namespace: string, staged: readonly StagedFile[]): KubeContainer {
  return {
    name: FETCH_STAGED_CONTAINER_NAME,
    image: ref.image,
    imagePullPolicy: ref.imagePullPolicy ?? 'IfNotPresent',
    args: [
      'fetch-staged',
      '--server', stagingServerUrl(ref, namespace),
      '--token-file', `${TOKEN_DIR}/${READ_TOKEN_KEY}`,
      '--dir', STAGED_FILES_DIR,
      ...staged.map((file) => `${file.sha256}=${file.name}`),
    ],
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
    securityContext: containerSecurityContext({}, SPARKPLANE_IMAGE_UID),
    volumeMounts: [
      { name: STAGED_VOLUME_NAME, mountPath: STAGED_FILES_DIR },
      { name: STAGING_TOKEN_VOLUME_NAME, mountPath: TOKEN_DIR, readOnly: true },
    ],
  };
}

/** The driver pod's volumes: the staged copies (sized to hold them) and the read token. */
export function stagingVolumes(ref: StagingServerRef, staged: readonly StagedFile[]): Array<Record<string, unknown>> {
  const bytes = staged.reduce((sum, file) => sum + file.size, 0);
  return [
    { name: STAGED_VOLUME_NAME, emptyDir: { sizeLimit: `${Math.ceil(bytes / 2 ** 20) + 16}Mi` } },
    { name: STAGING_TOKEN_VOLUME_NAME, secret: { secretName: stagingServerNames(ref).tokens, items: [{ key: READ_TOKEN_KEY, path: READ_TOKEN_KEY }], defaultMode: 0o440 } },
  ];
}

/** The staged copies in the driver container, read-only. */
export function stagedFilesMount(): KubeVolumeMount {
  return { name: STAGED_VOLUME_NAME, mountPath: STAGED_FILES_DIR, readOnly: true };
}
