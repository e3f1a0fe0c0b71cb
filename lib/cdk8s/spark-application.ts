// The cdk8s front end of a Spark application: props in, the core's objects out as ApiObjects in the
// construct tree, with cdk8s-plus handles to what was created.
import { ApiObject, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { compact, renderSparkApplication, shuffleServiceRefOf, stagingServerRefOf, resolveSparkApplication, type SparkApplicationSpec, type SparkDriverSpec } from '../core';
import { emitApiObjects } from './emit';
import { secretName, toKubeVolume, type SecretInput, type VolumeInput } from './kplus-interop';

/** The driver, with cdk8s-plus interop for its ServiceAccount. */
export interface SparkDriverProps extends Omit<SparkDriverSpec, 'serviceAccountName'> {
  /**
   * An existing ServiceAccount for the driver; the driver's Role is bound to it.
   * @default - a ServiceAccount named `<name>-driver` is created
   */
  readonly serviceAccount?: kplus.IServiceAccount;
}

/** Props of a `SparkApplication` construct: the core spec, with cdk8s-plus handles accepted where natural. */
export interface SparkApplicationProps extends Omit<SparkApplicationSpec, 'name' | 'namespace' | 'driver' | 'imagePullSecrets' | 'volumes'> {
  /** Name of the application; prefixes every object (a DNS label, at most 34 characters). @default - the construct id */
  readonly name?: string;
  /** Namespace of every object. @default - the chart's namespace, else "default" */
  readonly namespace?: string;
  /** The driver. @default - 1 core, 1g, a new ServiceAccount */
  readonly driver?: SparkDriverProps;
  /** Secrets used to pull the image, by name or as cdk8s-plus Secrets. @default - none */
  readonly imagePullSecrets?: readonly SecretInput[];
  /** Volumes the driver and executors may mount, in the Kubernetes shape or as cdk8s-plus Volumes. @default - none */
  readonly volumes?: readonly VolumeInput[];
}

/**
 * A Spark application: its driver runs under a Kubernetes Job, with its own least-privilege
 * ServiceAccount, Role and RoleBinding, a ConfigMap with the Spark properties and the executor pod
 * template, and Services for the driver's RPC and UI.
 */
export class SparkApplication extends Construct {
  /** The application's name (the prefix of its objects). */
  public readonly applicationName: string;
  /** The namespace of its objects. */
  public readonly namespace: string;
  /** Every object rendered, in order; use `addJsonPatch` on one as an escape hatch. */
  public readonly apiObjects: readonly ApiObject[];
  /** The driver's Job. */
  public readonly driverJob: ApiObject;
  /** The driver's ServiceAccount (created, or the one given). */
  public readonly serviceAccount: kplus.IServiceAccount;
  /** The ConfigMap with the Spark properties and the executor pod template. */
  public readonly configMap: kplus.IConfigMap;
  /** The Service in front of the Spark UI. */
  public readonly uiService: ApiObject;

  constructor(scope: Construct, id: string, props: SparkApplicationProps) {
    super(scope, id);
    const { serviceAccount, ...driver } = props.driver ?? {};
    const spec: SparkApplicationSpec = compact({
      ...props,
      name: props.name ?? id,
      namespace: props.namespace ?? Chart.of(this).namespace,
      driver: props.driver ? { ...driver, serviceAccountName: serviceAccount?.name } : undefined,
      imagePullSecrets: props.imagePullSecrets?.map(secretName),
      volumes: props.volumes?.map(toKubeVolume),
      shuffleService: props.shuffleService && shuffleServiceRefOf(props.shuffleService),
      staging: props.staging && stagingServerRefOf(props.staging),
    });
    const objects = renderSparkApplication(spec);
    const app = resolveSparkApplication(spec);
    this.apiObjects = emitApiObjects(this, objects);
    const find = (kind: string, name: string) => this.apiObjects.find((o) => o.kind === kind && o.metadata.name === name)!;

    this.applicationName = app.name;
    this.namespace = app.namespace;
    this.driverJob = find('Job', app.names.driver);
    this.uiService = find('Service', app.names.uiService);
    this.serviceAccount =
      serviceAccount ?? kplus.ServiceAccount.fromServiceAccountName(this, 'ServiceAccountHandle', app.serviceAccountName, { namespaceName: app.namespace });
    this.configMap = kplus.ConfigMap.fromConfigMapName(this, 'ConfigMapHandle', app.names.configMap);
  }
}
