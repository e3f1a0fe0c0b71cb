// The Pulumi front end of Zeppelin: a ComponentResource whose children are the core's objects, and,
// when the interpreter has local files, the StagedFiles resource that uploads them first.
import * as pulumi from '@pulumi/pulumi';
import { renderZeppelin, stagingServerRefOf, zeppelinNames, type ZeppelinSpec } from '../core';
import { resolveInterpreterApplication } from '../core/zeppelin/spark-interpreter';
import { InputPlaceholders } from './input-placeholders';
import { emitKubeResources } from './spark-application';
import { StagedFiles, type StagedFilesConnection } from './staged-files';

/** Arguments of a `Zeppelin` component: the core spec. */
export interface ZeppelinArgs extends Omit<ZeppelinSpec, 'name'> {
  /** Name of Zeppelin's objects; a DNS label of at most 30 characters. @default - the component's name */
  readonly name?: string;
  /** How `pulumi up` uploads the interpreter's local files to `spark.staging`. @default - the ambient kubeconfig and its current context */
  readonly stagingUpload?: StagedFilesConnection;
}

/** Zeppelin with its Spark interpreter running Spark on Kubernetes; see the cdk8s construct of the same name. */
export class Zeppelin extends pulumi.ComponentResource {
  /** The server's Service name (port `http` 8080). */
  public readonly serviceName: string;
  /** The namespace of its objects. */
  public readonly namespace: string;
  /** Every child resource, in render order. */
  public readonly resources: readonly pulumi.CustomResource[];
  /** The resource that uploads the interpreter's local files, when there are any. */
  public readonly stagedFiles?: StagedFiles;

  constructor(name: string, args: ZeppelinArgs, opts?: pulumi.ComponentResourceOptions) {
    super('sparkplane:spark:Zeppelin', name, {}, opts);
    const { stagingUpload, ...rest } = args;
    const spec: ZeppelinSpec = { ...rest, name: args.name ?? name, spark: args.spark && { ...args.spark, staging: args.spark.staging && stagingServerRefOf(args.spark.staging) } };
    const objects = renderZeppelin(spec);
    const app = resolveInterpreterApplication(spec);
    if (spec.spark.staging && app.dependencies.staged.length > 0) {
      this.stagedFiles = new StagedFiles(
        `${name}-staged-files`,
        { ...stagingUpload, namespace: app.namespace, server: spec.spark.staging.name, files: app.dependencies.staged },
        { parent: this, dependsOn: pulumi.Resource.isInstance(args.spark.staging) ? [args.spark.staging] : undefined },
      );
    }
    this.resources = emitKubeResources(name, objects, new InputPlaceholders(), this, this.stagedFiles ? [this.stagedFiles] : []);
    this.serviceName = zeppelinNames(spec.name).server;
    this.namespace = app.namespace;
    this.registerOutputs({ serviceName: this.serviceName, namespace: this.namespace });
  }
}
