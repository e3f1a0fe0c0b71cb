// The Pulumi front end of the staging server: a ComponentResource whose children are the core's
// objects. The component is itself a StagingServerRef, so an application takes it as `staging`.
import * as pulumi from '@pulumi/pulumi';
import { renderStagingServer, stagingServerNames, type StagingServerRef, type StagingServerSpec } from '../core';
import { InputPlaceholders } from './input-placeholders';
import { emitKubeResources } from './spark-application';

/** Arguments of a `StagingServer` component: the core spec. */
export interface StagingServerArgs extends StagingServerSpec {}

/** The staging server of a namespace; see the cdk8s construct of the same name. */
export class StagingServer extends pulumi.ComponentResource implements StagingServerRef {
  /** The server's name. */
  public readonly name: string;
  /** The server's namespace. */
  public readonly namespace: string;
  /** The sparkplane image. */
  public readonly image: string;
  /** Pull policy of the sparkplane image. */
  public readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** Every child resource, in render order. */
  public readonly resources: readonly pulumi.CustomResource[];

  constructor(name: string, args: StagingServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('sparkplane:spark:StagingServer', name, {}, opts);
    this.resources = emitKubeResources(name, renderStagingServer(args), new InputPlaceholders(), this);
    this.name = stagingServerNames(args ?? {}).server;
    this.namespace = args.namespace ?? 'default';
    this.image = args.image;
    this.imagePullPolicy = args.imagePullPolicy;
    this.registerOutputs({ name: this.name, namespace: this.namespace });
  }
}
