// The Pulumi front end of a Spark application: a ComponentResource whose children are the core's
// objects as typed @pulumi/kubernetes resources.
import * as pulumi from '@pulumi/pulumi';
import {
  compact, dnsLabelProblem, dnsSubdomainProblem, imageProblem, objectIds, renderSparkApplication, resolveSparkApplication, shuffleServiceRefOf, stagingServerRefOf,
  type KubeObject, type SparkApplicationSpec,
} from '../core';
import { InputPlaceholders } from './input-placeholders';
import { createKubeResource } from './kube-resources';

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
}

/**
 * Annotations only the Pulumi front end adds, per kind. The driver's Job runs the whole Spark
 * application, which may take hours: `pulumi up` must not wait for it to complete.
 */
export const PULUMI_ONLY_ANNOTATIONS: Readonly<Record<string, Record<string, string>>> = {
  Job: { 'pulumi.com/skipAwait': 'true' },
};

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
  /** Every child resource, in render order. */
  public readonly resources: readonly pulumi.CustomResource[];

  constructor(name: string, args: SparkApplicationArgs, opts?: pulumi.ComponentResourceOptions) {
    super('sparkplane:spark:Application', name, {}, opts);
    const inputs = new InputPlaceholders();
    const shuffleService = args.shuffleService && shuffleServiceRefOf(args.shuffleService);
    const servedNamespaces = shuffleService?.applicationNamespaces;
    const deferredNamespace = args.namespace !== undefined && typeof args.namespace !== 'string';
    const spec: SparkApplicationSpec = compact({
      ...args,
      name: args.name ?? name,
      namespace: inputs.plain(args.namespace, (v) => dnsLabelProblem(v) ?? (Array.isArray(servedNamespaces) && !servedNamespaces.includes(v)
        ? `is not among shuffleService.applicationNamespaces (${servedNamespaces.join(', ')}); add the namespace to the service`
        : undefined), 'namespace'),
      image: inputs.plain(args.image, imageProblem, 'image'),
      imagePullSecrets: args.imagePullSecrets?.map((secret, i) => inputs.plain(secret, (v) => dnsSubdomainProblem(v), `imagePullSecrets[${i}]`)),
      // A namespace known only at deployment is checked against the service's list then (above);
      // the list only validates, it renders nothing in the application.
      shuffleService: shuffleService && (deferredNamespace ? { ...shuffleService, applicationNamespaces: '*' } : shuffleService),
      staging: args.staging && stagingServerRefOf(args.staging),
    });
    const objects = renderSparkApplication(spec);
    const app = resolveSparkApplication(spec);

    this.resources = emitKubeResources(name, objects, inputs, this);
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
 * them, so no pod starts before its ServiceAccount, Role and configuration exist; and everything
 * waits for a Namespace rendered before it.
 */
export function emitKubeResources(componentName: string, objects: readonly KubeObject[], inputs: InputPlaceholders, parent: pulumi.Resource): pulumi.CustomResource[] {
  const created: pulumi.CustomResource[] = [];
  const ids = objectIds(objects);
  objects.forEach((object, i) => {
    const extra = PULUMI_ONLY_ANNOTATIONS[object.kind];
    const withAnnotations: KubeObject = extra
      ? { ...object, metadata: { ...object.metadata, annotations: { ...object.metadata.annotations, ...extra } } }
      : object;
    const isWorkload = ['Job', 'DaemonSet', 'Deployment'].includes(object.kind);
    const namespaces = created.filter((_, j) => objects[j].kind === 'Namespace');
    const dependsOn = isWorkload ? [...created] : namespaces;
    created.push(
      createKubeResource(`${componentName}-${ids[i].slice(object.kind.length + 1)}`, object, inputs.substitute(withAnnotations), {
        parent,
        dependsOn: dependsOn.length ? dependsOn : undefined,
      }),
    );
  });
  return created;
}
