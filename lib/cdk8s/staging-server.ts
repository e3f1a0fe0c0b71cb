// The cdk8s front end of the staging server: props in, the core's objects out as ApiObjects. The
// construct is itself a StagingServerRef, so an application takes it as `staging`.
import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { renderStagingServer, stagingServerNames, type StagingServerRef, type StagingServerSpec } from '../core';
import { emitApiObjects } from './emit';

/** Props of a `StagingServer` construct: the core spec. */
export interface StagingServerProps extends Omit<StagingServerSpec, 'name' | 'namespace'> {
  /** Name of the server's objects. @default "staging-server" */
  readonly name?: string;
  /** Namespace of the server and of the applications it serves. @default - the chart's namespace, else "default" */
  readonly namespace?: string;
}

/**
 * The staging server of a namespace: it holds the applications' local jars and files by digest, on a
 * PersistentVolumeClaim. Upload with `sparkplane stage`, then apply the applications that name it
 * as `staging`.
 */
export class StagingServer extends Construct implements StagingServerRef {
  /** The server's name. */
  public readonly name: string;
  /** The server's namespace. */
  public readonly namespace: string;
  /** The sparkplane image. */
  public readonly image: string;
  /** Pull policy of the sparkplane image. */
  public readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** Every object rendered, in order; use `addJsonPatch` on one as an escape hatch. */
  public readonly apiObjects: readonly ApiObject[];
  /** The Deployment. */
  public readonly deployment: ApiObject;

  constructor(scope: Construct, id: string, props: StagingServerProps) {
    super(scope, id);
    const spec: StagingServerSpec = { ...props, namespace: props.namespace ?? Chart.of(this).namespace };
    this.apiObjects = emitApiObjects(this, renderStagingServer(spec));
    this.name = stagingServerNames(spec).server;
    this.namespace = spec.namespace ?? 'default';
    this.image = spec.image;
    this.imagePullPolicy = spec.imagePullPolicy;
    this.deployment = this.apiObjects.find((o) => o.kind === 'Deployment')!;
  }
}
