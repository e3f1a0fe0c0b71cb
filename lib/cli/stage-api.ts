// Staging as functions, for `pulumi up`: the Pulumi front end's StagedFiles resource
// (lib/pulumi/staged-files.ts) require()s this module's bundle (stage-api-bundle.ts) in Pulumi's
// dynamic provider process. The requests, the credentials (the user's kubeconfig) and the error
// messages are those of `sparkplane stage`, through the same FileStager.
import { version } from '../../package.json';
import { ApiServerClient } from './api-server-client';
import { loadKubeconfig } from './kubeconfig';
import { ProgressReporter } from './progress';
import { asStageError, FileStager } from './stage';
import type { StageTarget } from './stage-errors';
import { inClusterBlobUrl } from './staging-endpoint';

/** Which staging server, and how to reach the API server in front of it. */
export interface StagingConnection {
  /**
   * A kubeconfig: its contents (YAML or JSON), or the path of one, as @pulumi/kubernetes' Provider
   * takes it. @default - $KUBECONFIG, else ~/.kube/config, as `sparkplane stage`
   */
  readonly kubeconfig?: string;
  /** The kubeconfig context. @default - its current context */
  readonly context?: string;
  /** The staging server's namespace. */
  readonly namespace: string;
  /** The staging server's Service. */
  readonly service: string;
  /** The Secret holding its upload token. */
  readonly secret: string;
}

/** A local file to stage, digest already computed. */
export interface FileToStage {
  /** Its name in the driver's staged folder. */
  readonly name: string;
  readonly sha256: string;
  /** Size in bytes: sent as Content-Length. */
  readonly size: number;
  /** Its absolute path; read only when the server does not hold it yet. */
  readonly source: string;
}

/** A file the staging server holds. */
export interface StagedFileResult {
  readonly name: string;
  readonly sha256: string;
  readonly size: number;
  /** Where the cluster fetches it. */
  readonly url: string;
  readonly status: 'uploaded' | 'already-staged';
}

/**
 * Uploads the files the server does not hold (HEAD, then PUT), and resolves to every file with its
 * URL. Rejects with one Error listing each failure; the files staged before a failure stay staged.
 */
export async function stageFiles(connection: StagingConnection, files: readonly FileToStage[]): Promise<StagedFileResult[]> {
  const { stager, server } = await connect(connection);
  const results: StagedFileResult[] = [];
  const failures: string[] = [];
  for (const file of files) {
    try {
      const outcome = await stager.stage({ path: file.source, size: file.size }, file.sha256);
      results.push({ name: file.name, sha256: file.sha256, size: file.size, url: inClusterBlobUrl(connection, file.sha256), status: outcome.status });
    } catch (error) {
      const failure = asStageError(error, server, `staging ${file.source}`);
      failures.push(`${file.name}: ${failure.message}`);
      // A failure of the run (RBAC, an unreachable server) would fail every other file the same way.
      if (failure.reach === 'run') break;
    }
  }
  if (failures.length > 0) {
    throw new Error(`staging ${failures.length === 1 ? 'a file' : 'files'} to the staging server "${connection.service}" in namespace "${connection.namespace}" failed:\n${failures.join('\n')}`);
  }
  return results;
}

/** The digests of the files the staging server does not hold (HEAD only: nothing is uploaded). */
export async function missingFiles(connection: StagingConnection, files: ReadonlyArray<Pick<FileToStage, 'name' | 'sha256'>>): Promise<string[]> {
  const { stager, server } = await connect(connection);
  const missing: string[] = [];
  for (const file of files) {
    try {
      if (!(await stager.check({ path: file.name, size: 0 }, file.sha256)).staged) missing.push(file.sha256);
    } catch (error) {
      throw new Error(asStageError(error, server, `checking ${file.name}`).message);
    }
  }
  return missing;
}

/** A FileStager of the connection's user, with the upload token read. */
async function connect(connection: StagingConnection): Promise<{ stager: FileStager; server: URL }> {
  const kubeconfig = loadKubeconfig({
    ...(isKubeconfigText(connection.kubeconfig) ? { contents: connection.kubeconfig } : { file: connection.kubeconfig }),
    context: connection.context,
  });
  const client = new ApiServerClient(kubeconfig.connection);
  const silent = { write: () => {} };
  const target: StageTarget = { namespace: connection.namespace, service: connection.service, secret: connection.secret };
  const stager = new FileStager(
    { client, stdout: silent, stderr: silent, userAgent: `sparkplane-pulumi/${version} node/${process.versions.node}` },
    target,
    new ProgressReporter(silent, 'off'),
    Date.now,
  );
  try {
    await stager.readUploadToken();
  } catch (error) {
    throw new Error(asStageError(error, client.server, 'reading the upload token').message);
  }
  return { stager, server: client.server };
}

/** A kubeconfig's text rather than a path: a path is one line and no JSON object. */
function isKubeconfigText(kubeconfig: string | undefined): kubeconfig is string {
  return kubeconfig !== undefined && (kubeconfig.includes('\n') || kubeconfig.trimStart().startsWith('{'));
}
