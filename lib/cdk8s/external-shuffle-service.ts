// The cdk8s front end of the external shuffle service: props in, the core's objects out as
// ApiObjects. The construct is itself a ShuffleServiceRef, so an application takes it as is.
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import {
  renderExternalShuffleService, resolveShuffleService, type ExternalShuffleServiceSpec, type KubeToleration, type ShuffleServiceRef,
} from '../core';
import { emitApiObjects } from './emit';

/** Props of an `ExternalShuffleService` construct: the core spec. */
export interface ExternalShuffleServiceProps extends ExternalShuffleServiceSpec {}

/**
 * Spark's external shuffle service as a DaemonSet, one pod per node, in a namespace of its own,
 * with a janitor that removes ended applications' files and relays the service's metrics. Pass it
 * as `shuffleService` to the applications that use it.
 */
export class ExternalShuffleService extends Construct implements ShuffleServiceRef {
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
  /** Every object rendered, in order; use `addJsonPatch` on one as an escape hatch. */
  public readonly apiObjects: readonly ApiObject[];
  /** The DaemonSet. */
  public readonly daemonSet: ApiObject;

  constructor(scope: Construct, id: string, props: ExternalShuffleServiceProps) {
    super(scope, id);
    const objects = renderExternalShuffleService(props);
    const service = resolveShuffleService(props);
    this.apiObjects = emitApiObjects(this, objects);
    this.daemonSet = this.apiObjects.find((o) => o.kind === 'DaemonSet')!;
    this.namespace = service.namespace;
    this.hostPath = service.hostPath;
    this.port = service.port;
    this.metricsPort = service.metricsPort;
    this.nodeSelector = service.nodeSelector;
    this.tolerations = service.tolerations;
    this.applicationNamespaces = service.applicationNamespaces;
  }
}
