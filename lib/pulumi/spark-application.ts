// The Pulumi front end of a Spark application: a ComponentResource whose children are the core's
// objects as typed @pulumi/kubernetes resources, and, when it has local files, the StagedFiles
// resource that uploads them before the driver's Job is created.
import * as pulumi from '@pulumi/pulumi';
import {
  compact, dnsLabelProblem, dnsSubdomainProblem, imageProblem, objectIds, renderSparkApplication, resolveSparkApplication, shuffleServiceRefOf, SPARK_ROLE_LABEL, stagingServerRefOf,
  type KubeObject, type SparkApplicationSpec,
} from '../core';
import { InputPlaceholders } from './input-placeholders';
import { createKubeResource } from './kube-resources';
import { StagedFiles, type StagedFilesConnection } from './staged-files';

/** Arguments of a `SparkApplication` component: the core spec, with Inputs for what is wired from other resources. */
export interface SparkApplicationArgs extends Omit<SparkApplicationSpec, 'name' | 'namespace' | 'image' | 'imagePullSecrets'> {
  /** Name of the application; prefixes every object (a DNS label, at most 34 characters). @default - the component's name */
  readonly name?: string;
  /** Namespace of every object, e.g. a Namespace resource's name. @default "default" */
  readonly namespace?: pulumi.Input<string>;
  /** Container image of driver and executors, e.g. an image resource's reference. @default - `apache/spark:<sparkVersion>` (`-r` for R) */
  readonly image?: pulumi.Input<string>;
  /** Names of Secrets used to pull the image. @default - none */
  readonly imagePullSecrets?: ReadonlyArray<pulumi.Input<string>>;
  /**
   * How `pulumi up` reaches the API server to upload the local files to `staging` (the user needs the
   * StagingServer's uploader Role). @default - the ambient kubeconfig and its current context, as `sparkplane stage`
   */
  readonly stagingUpload?: StagedFilesConnection;
}

/** Pulumi's annotation that makes `pulumi up` not wait for a resource to become ready. */
const SKIP_AWAIT = { 'pulumi.com/skipAwait': 'true' } as const;
/**
 * Pulumi's readiness condition for a driver Job: the Job controller has started it (a second), not
 * its completion. Not skipAwait: for a Job that also skips awaiting its deletion, and a replaced Job
 * was then created again while the old one still terminated (a server-side apply conflict, found by
 * test/integration/pulumi-up.test.ts).
 */
const JOB_STARTED = { 'pulumi.com/waitFor': 'jsonpath={.status.startTime}' } as const;

/**
 * Annotations only the Pulumi front end adds to an object: where `pulumi up` must not wait for
 * readiness as Pulumi defines it. The driver's Job runs the whole Spark application, which may take
 * hours, so `pulumi up` waits only for the Job controller to start it. A Service that selects a
 * driver pod has an endpoint only while that pod runs (none while it is queued, none once it has
 * finished), so it is not awaited. Everything else keeps Pulumi's await: a Deployment until available
 * (a server that never gets ready should fail the update), a DaemonSet until rolled out (at once on
 * zero nodes), a claim until bound.
 */
export function pulumiOnlyAnnotations(object: KubeObject): Record<string, string> {
  if (object.kind === 'Job') return JOB_STARTED;
  const selector = (object as { spec?: { selector?: Record<string, string> } }).spec?.selector;
  if (object.kind === 'Service' && selector?.[SPARK_ROLE_LABEL] === 'driver') return SKIP_AWAIT;
  return {};
}

/** A Spark application, its driver under a Kubernetes Job; see the cdk8s construct of the same name. */
export class SparkApplication extends pulumi.ComponentResource {
  /** The application's name (the prefix of its objects). */
  public readonly applicationName: string;
  /** The namespace of its objects. */
  public readonly namespace: pulumi.Output<string>;
  /** Name of the driver's Job. */
  public readonly driverJobName: string;
  /** Name of the driver's ServiceAccount. */
  public readonly serviceAccountName: string;
  /** Name of the Service in front of the Spark UI. */
  public readonly uiServiceName: string;
  /** Every Kubernetes child resource, in render order. */
  public readonly resources: readonly pulumi.CustomResource[];
  /** The resource that uploads the local files, when there are any. */
  public readonly stagedFiles?: StagedFiles;

  constructor(name: string, args: SparkApplicationArgs, opts?: pulumi.ComponentResourceOptions) {
    super('sparkplane:spark:Application', name, {}, opts);
    // stagingUpload is for `pulumi up`, not part of the core's spec.
    const { stagingUpload, ...specArgs } = args;
    const inputs = new InputPlaceholders();
    const shuffleService = args.shuffleService && shuffleServiceRefOf(args.shuffleService);
    const servedNamespaces = shuffleService?.applicationNamespaces;
    const deferredNamespace = args.namespace !== undefined && typeof args.namespace !== 'string';
    const stagingNamespace = args.staging?.namespace;
    const spec: SparkApplicationSpec = compact({
      ...specArgs,
      name: args.name ?? name,
      namespace: inputs.plain(args.namespace, (v) => dnsLabelProblem(v)
        ?? (Array.isArray(servedNamespaces) && !servedNamespaces.includes(v) ? `is not among shuffleService.applicationNamespaces (${servedNamespaces.join(', ')}); add the namespace to the service` : undefined)
        ?? (stagingNamespace !== undefined && stagingNamespace !== v ? `is not the staging server's namespace (${stagingNamespace}); the driver reads the read token from a Secret of its own namespace` : undefined), 'namespace'),
      image: inputs.plain(args.image, imageProblem, 'image'),
      imagePullSecrets: args.imagePullSecrets?.map((secret, i) => inputs.plain(secret, (v) => dnsSubdomainProblem(v), `imagePullSecrets[${i}]`)),
      // A namespace known only at deployment is checked against the service's list then (above);
      // the list only validates, it renders nothing in the application.
      shuffleService: shuffleService && (deferredNamespace ? { ...shuffleService, applicationNamespaces: '*' } : shuffleService),
      // A namespace known only at deployment is compared with the server's when it resolves (above).
      staging: args.staging && (deferredNamespace ? { ...stagingServerRefOf(args.staging), namespace: undefined } : stagingServerRefOf(args.staging)),
    });
    const objects = renderSparkApplication(spec);
    const app = resolveSparkApplication(spec);

    if (spec.staging && app.dependencies.staged.length > 0) {
      this.stagedFiles = new StagedFiles(
        `${name}-staged-files`,
        { ...stagingUpload, namespace: inputs.substitute(app.namespace), server: spec.staging.name, files: app.dependencies.staged },
        // A StagingServer of this program is deployed (its Deployment ready) before anything is uploaded.
        { parent: this, dependsOn: pulumi.Resource.isInstance(args.staging) ? [args.staging] : undefined },
      );
    }
    this.resources = emitKubeResources(name, objects, inputs, this, this.stagedFiles ? [this.stagedFiles] : []);
    this.applicationName = app.name;
    this.namespace = pulumi.output(inputs.substitute(app.namespace));
    this.driverJobName = app.names.driver;
    this.serviceAccountName = app.serviceAccountName;
    this.uiServiceName = app.names.uiService;
    this.registerOutputs({
      applicationName: this.applicationName,
      namespace: this.namespace,
      driverJobName: this.driverJobName,
      serviceAccountName: this.serviceAccountName,
      uiServiceName: this.uiServiceName,
    });
  }
}

/**
 * Creates one typed child per object. Workloads (the Job, DaemonSet, Deployment) wait for everything before
 * them and for `workloadDependencies` (the staged files), so no pod starts before its ServiceAccount,
 * Role, configuration and files exist; and everything waits for a Namespace rendered before it.
 */
export function emitKubeResources(
  componentName: string,
  objects: readonly KubeObject[],
  inputs: InputPlaceholders,
  parent: pulumi.Resource,
  workloadDependencies: readonly pulumi.Resource[] = [],
): pulumi.CustomResource[] {
  const created: pulumi.CustomResource[] = [];
  const ids = objectIds(objects);
  objects.forEach((object, i) => {
    const extra = pulumiOnlyAnnotations(object);
    const withAnnotations: KubeObject = Object.keys(extra).length
      ? { ...object, metadata: { ...object.metadata, annotations: { ...object.metadata.annotations, ...extra } } }
      : object;
    const isWorkload = ['Job', 'DaemonSet', 'Deployment'].includes(object.kind);
    const namespaces = created.filter((_, j) => objects[j].kind === 'Namespace');
    const dependsOn = isWorkload ? [...workloadDependencies, ...created] : namespaces;
    created.push(
      createKubeResource(`${componentName}-${ids[i].slice(object.kind.length + 1)}`, object, inputs.substitute(withAnnotations), {
        parent,
        dependsOn: dependsOn.length ? dependsOn : undefined,
      }),
    );
  });
  return created;
}
