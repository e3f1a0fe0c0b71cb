// The cdk8s front end of Zeppelin: props in, the core's objects out as ApiObjects.
import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { renderZeppelin, stagingServerRefOf, zeppelinNames, type ZeppelinSpec } from '../core';
import { emitApiObjects } from './emit';

/** Props of a `Zeppelin` construct: the core spec. */
export interface ZeppelinProps extends Omit<ZeppelinSpec, 'name' | 'namespace'> {
  /** Name of Zeppelin's objects; a DNS label of at most 30 characters. @default - the construct id */
  readonly name?: string;
  /** Namespace of the server, its interpreters and their executors. @default - the chart's namespace, else "default" */
  readonly namespace?: string;
}

/**
 * Zeppelin with its Spark interpreter running Spark on Kubernetes: the server (authenticated,
 * restricted, on a claim) launches each interpreter as a Spark driver pod with the interpreter's
 * least-privilege ServiceAccount, which creates executors from the library's executor template.
 */
export class Zeppelin extends Construct {
  /** Every object rendered, in order; use `addJsonPatch` on one as an escape hatch. */
  public readonly apiObjects: readonly ApiObject[];
  /** The server's Deployment. */
  public readonly deployment: ApiObject;
  /** The server's Service (port `http` 8080). */
  public readonly service: ApiObject;

  constructor(scope: Construct, id: string, props: ZeppelinProps) {
    super(scope, id);
    const spec: ZeppelinSpec = {
      ...props,
      name: props.name ?? id,
      namespace: props.namespace ?? Chart.of(this).namespace,
      spark: props.spark && { ...props.spark, staging: props.spark.staging && stagingServerRefOf(props.spark.staging) },
    };
    this.apiObjects = emitApiObjects(this, renderZeppelin(spec));
    const server = zeppelinNames(spec.name).server;
    this.deployment = this.apiObjects.find((o) => o.kind === 'Deployment' && o.metadata.name === server)!;
    this.service = this.apiObjects.find((o) => o.kind === 'Service' && o.metadata.name === server)!;
  }
}
