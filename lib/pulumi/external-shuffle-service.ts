// The Pulumi front end of the external shuffle service: a ComponentResource whose children are the
// core's objects. The component is itself a ShuffleServiceRef, so an application takes it as is.
import * as pulumi from '@pulumi/pulumi';
import {
  compact, imageProblem, renderExternalShuffleService, resolveShuffleService, type ExternalShuffleServiceSpec, type KubeToleration, type ShuffleServiceRef,
} from '../core';
import { InputPlaceholders } from './input-placeholders';
import { emitKubeResources } from './spark-application';

/** Arguments of an `ExternalShuffleService` component: the core spec, with Inputs for the images. */
export interface ExternalShuffleServiceArgs extends Omit<ExternalShuffleServiceSpec, 'image' | 'janitorImage'> {
  /** Spark image of the service. @default - `apache/spark:<sparkVersion>` */
  readonly image?: pulumi.Input<string>;
  /** The sparkplane image, which holds the janitor (images/README.md); there is no public default. */
  readonly janitorImage: pulumi.Input<string>;
}

/** Spark's external shuffle service as a DaemonSet; see the cdk8s construct of the same name. */
export class ExternalShuffleService extends pulumi.ComponentResource implements ShuffleServiceRef {
  /** The service's namespace. */
  public readonly namespace: string;
  /** The host directory on every node. */
  public readonly hostPath: string;
  /** The service's port on every node. */
  public readonly port: number;
  /** The janitor's metrics port on every node. */
  public readonly metricsPort: number;
  /** The nodes the service runs on. */
  public readonly nodeSelector: Record<string, string>;
  /** The taints it tolerates. */
  public readonly tolerations: readonly KubeToleration[];
  /** The namespaces whose applications may use it. */
  public readonly applicationNamespaces: readonly string[] | '*';
  /** Name of the DaemonSet. */
  public readonly daemonSetName: string;
  /** Every child resource, in render order. */
  public readonly resources: readonly pulumi.CustomResource[];

  constructor(name: string, args: ExternalShuffleServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super('sparkplane:spark:ExternalShuffleService', name, {}, opts);
    const inputs = new InputPlaceholders();
    const given: Partial<ExternalShuffleServiceArgs> = args ?? {};
    const spec: ExternalShuffleServiceSpec = compact({
      ...given,
      image: inputs.plain(given.image, imageProblem, 'image'),
      janitorImage: inputs.plain(given.janitorImage, imageProblem, 'janitorImage'),
    } as ExternalShuffleServiceSpec);
    const objects = renderExternalShuffleService(spec);
    const service = resolveShuffleService(spec);
    this.resources = emitKubeResources(name, objects, inputs, this);
    this.namespace = service.namespace;
    this.hostPath = service.hostPath;
    this.port = service.port;
    this.metricsPort = service.metricsPort;
    this.nodeSelector = service.nodeSelector;
    this.tolerations = service.tolerations;
    this.applicationNamespaces = service.applicationNamespaces;
    this.daemonSetName = service.names.daemonSet;
    this.registerOutputs({ namespace: this.namespace, daemonSetName: this.daemonSetName, hostPath: this.hostPath, port: this.port });
  }
}
