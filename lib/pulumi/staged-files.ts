// `pulumi up` stages an application's local files (docs/staging-server-research.md §7.5): a dynamic
// resource whose provider uploads, through the API server's service proxy with the user's kubeconfig,
// the files the staging server does not hold yet, as `sparkplane stage` does. The driver's Job
// depends on it, so the files are there before the driver's init container fetches them.
//
// Why the provider is written as it is. Pulumi serializes a dynamic provider's functions, with every
// value they capture, into the resource's inputs and state (@pulumi/pulumi runtime/closure), and its
// dynamic provider process loads that text with require-from-string. A captured module of a package
// is written as `require("<package path>")` and a captured local module is serialized by value, with
// all it reaches. Staging needs @kubernetes/client-node to understand kubeconfigs (exec plugins,
// certificates...): ESM only and a devDependency here, so capturing it would fail or embed it. So:
// - the functions capture only strings and one another, never an import of this package (in an
//   installed package, `require("sparkplane/dist/...")` is a path its "exports" map forbids);
// - at call time they `require()` dist/cli/sparkplane-stage-api.js, the staging client bundled with
//   client-node inside (scripts/cli/bundle.ts). `require` is never captured: it is the provider
//   process's own, resolving from the Pulumi project's directory;
// - that bundle is found at the path this package had when the provider was serialized, else, for a
//   state written on another machine, next to what `require.resolve("sparkplane")` finds.
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import { stagingServerNames, type StagedFile } from '../core';
import { STAGE_API_BUNDLE } from '../cli/stage-api-bundle';
import type * as StageApi from '../cli/stage-api';

/** How `pulumi up` reaches the API server to upload local files. */
export interface StagedFilesConnection {
  /**
   * A kubeconfig: its contents or its path, as the Kubernetes provider of Pulumi takes it (pass the
   * same value). Its contents are kept in the state as a secret, so that `pulumi refresh` can check the files.
   * @default - the ambient kubeconfig of `pulumi up` ($KUBECONFIG, else ~/.kube/config), as `sparkplane stage`
   */
  readonly kubeconfig?: pulumi.Input<string>;
  /** The kubeconfig context. @default - its current context */
  readonly context?: pulumi.Input<string>;
}

/** Arguments of a `StagedFiles` resource. */
export interface StagedFilesArgs extends StagedFilesConnection {
  /** Namespace of the staging server (the application's). */
  readonly namespace: pulumi.Input<string>;
  /** Name of the staging server. @default "staging-server" */
  readonly server?: string;
  /** The files, as the core resolves an application's local dependencies (name, digest, size, path). */
  readonly files: readonly StagedFile[];
}

/** A staged file, as the resource outputs it. */
export interface StagedFileOutput {
  /** Its name in the driver's staged folder. */
  readonly name: string;
  /** SHA-256 of its content, hex: its address on the staging server. */
  readonly sha256: string;
  /** Size in bytes. */
  readonly size: number;
  /** Where the cluster fetches it. */
  readonly url: string;
}

/** What the provider is given: StagedFilesArgs resolved, with the server's Service and tokens Secret. */
interface ProviderInputs {
  readonly namespace: string;
  readonly service: string;
  readonly secret: string;
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly files: ReadonlyArray<StageApi.FileToStage>;
}

/** What the provider keeps in the state: the inputs, less the local paths, with each file's URL. */
type ProviderState = Omit<ProviderInputs, 'files'> & { readonly files: readonly StagedFileOutput[] };

/**
 * The provider of `StagedFiles`. `bundle` is where the staging client is: dist/cli next to this
 * module in the package, or one a test built.
 * - create and update upload what the server lacks (HEAD, then PUT) and output each file's URL;
 * - diff reports an update when the files (digests and names), the server or the connection change;
 *   when they do not, it asks the server (HEAD) whether it still holds them, so a blob its retention
 *   deleted is uploaded again by the next `pulumi up`. Network in diff is allowed (the Kubernetes
 *   provider does it too); when the server cannot be asked, diff says "unknown" and Pulumi compares
 *   the inputs itself;
 * - read (`pulumi refresh`) keeps only the files the server holds, so the next `pulumi up` sees the
 *   others as changed and uploads them again;
 * - delete removes nothing: blobs are shared by digest between applications, and the server's
 *   retention deletes those nobody uses.
 */
export function stagedFilesProvider(bundle: string = path.join(__dirname, '..', 'cli', STAGE_API_BUNDLE)): pulumi.dynamic.ResourceProvider {
  // Plain strings for the functions below to capture (see the top of the file).
  const bundleName = STAGE_API_BUNDLE;
  const unknownValue = '04da6b54-80e4-46f7-96ec-b56ff0331ba9'; // Pulumi's stand-in for a value unknown at preview

  const stageApi = (): typeof StageApi => {
    const fs = require('fs') as typeof import('fs');
    const paths = require('path') as typeof import('path');
    const candidates = [bundle];
    try {
      candidates.push(paths.join(paths.dirname(require.resolve('sparkplane')), 'cli', bundleName));
    } catch {
      // The Pulumi project does not have the package (or runs from its sources): only `bundle` is left.
    }
    const found = candidates.find((file) => fs.existsSync(file));
    if (!found) {
      throw new Error(
        `sparkplane's staging client (${bundleName}) is in none of ${candidates.join(', ')}: ` +
          'install the sparkplane package in the Pulumi project (npm install sparkplane) and run `pulumi up` from there',
      );
    }
    return require(found) as typeof StageApi;
  };
  const connectionOf = (props: Omit<ProviderInputs, 'files'>): StageApi.StagingConnection => ({
    namespace: props.namespace,
    service: props.service,
    secret: props.secret,
    ...(props.kubeconfig ? { kubeconfig: props.kubeconfig } : {}),
    ...(props.context ? { context: props.context } : {}),
  });
  const upload = async (inputs: ProviderInputs): Promise<ProviderState> => {
    const staged = await stageApi().stageFiles(connectionOf(inputs), inputs.files);
    return { ...connectionOf(inputs), files: staged.map(({ name, sha256, size, url }) => ({ name, sha256, size, url })) };
  };
  // Everything whose change needs the provider to run again; a file's local path is not.
  const identity = (props: Omit<ProviderInputs, 'files'> & { files?: ReadonlyArray<{ name: string; sha256: string }> }): string =>
    JSON.stringify([props.namespace, props.service, props.secret, props.kubeconfig ?? '', props.context ?? '', (props.files ?? []).map((f) => `${f.sha256} ${f.name}`).sort()]);

  return {
    async create(inputs: ProviderInputs) {
      const outs = await upload(inputs);
      const digests = require('crypto').createHash('sha256').update(outs.files.map((f) => f.sha256).sort().join('\n')).digest('hex') as string;
      return { id: `${outs.namespace}/${outs.service}/${digests.slice(0, 16)}`, outs };
    },
    async diff(_id: string, olds: ProviderState, news: ProviderInputs) {
      // Only what identifies the files is searched for unknowns: the inputs also carry this provider's
      // own serialized text (`__provider`), which holds the stand-in itself.
      const wanted = identity(news);
      if (identity(olds) !== wanted || wanted.includes(unknownValue)) return { changes: true };
      try {
        const missing = await stageApi().missingFiles(connectionOf(news), news.files);
        return { changes: missing.length > 0 };
      } catch {
        return {};
      }
    },
    async update(_id: string, _olds: ProviderState, news: ProviderInputs) {
      return { outs: await upload(news) };
    },
    async read(id: string, props?: ProviderState) {
      if (!props?.files) throw new Error(`a StagedFiles resource cannot be imported (${id}): declare it in the program, and \`pulumi up\` stages its files`);
      const missing = await stageApi().missingFiles(connectionOf(props), props.files);
      return { id, props: { ...props, files: props.files.filter((file) => !missing.includes(file.sha256)) } };
    },
    async delete() {
      // Nothing: blobs are content-addressed, maybe shared, and expire through the server's retention.
    },
  };
}

let sharedProvider: pulumi.dynamic.ResourceProvider | undefined;

/**
 * An application's local files on its namespace's staging server: `pulumi up` uploads those the
 * server does not hold. Type `pulumi-nodejs:dynamic/sparkplane:StagedFiles` (a dynamic resource's
 * type is always under `pulumi-nodejs:dynamic`).
 */
export class StagedFiles extends pulumi.dynamic.Resource {
  /** The staged files, each with the URL the cluster fetches it from. */
  declare public readonly files: pulumi.Output<StagedFileOutput[]>;

  constructor(name: string, args: StagedFilesArgs, opts?: pulumi.CustomResourceOptions) {
    const names = stagingServerNames({ name: args.server });
    // One provider object for every resource: Pulumi serializes each provider object once.
    sharedProvider ??= stagedFilesProvider();
    super(
      sharedProvider,
      name,
      {
        namespace: args.namespace,
        service: names.server,
        secret: names.tokens,
        kubeconfig: args.kubeconfig === undefined ? undefined : pulumi.secret(args.kubeconfig),
        context: args.context,
        files: args.files.map(({ name: fileName, sha256, size, source }) => ({ name: fileName, sha256, size, source })),
      },
      // The secret input makes the output secret too; said explicitly, as the state keeps it for refresh.
      args.kubeconfig === undefined ? opts : { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), 'kubeconfig'] },
      'sparkplane',
      'StagedFiles',
    );
  }
}
