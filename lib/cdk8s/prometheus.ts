// The cdk8s front end of the Prometheus component: props in, the core's objects out as ApiObjects.
import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { prometheusNames, prometheusPushgatewayUrl, renderPrometheus, renderPrometheusOperatorObjects, type PrometheusOperatorMonitoringSpec, type PrometheusSpec } from '../core';
import { emitApiObjects } from './emit';

/** Props of a `Prometheus` construct: the core spec. */
export interface PrometheusProps extends Omit<PrometheusSpec, 'namespace'> {
  /** Namespace of the server. @default - the chart's namespace, else "monitoring" */
  readonly namespace?: string;
}

/**
 * A Prometheus server that scrapes the monitored Spark applications and sparkplane's programs in its
 * target namespaces, found by pod discovery with rights in exactly those namespaces.
 */
export class Prometheus extends Construct {
  /** Every object rendered, in order; use `addJsonPatch` on one as an escape hatch. */
  public readonly apiObjects: readonly ApiObject[];
  /** The server's Service (port `web` 9090). */
  public readonly service: ApiObject;
  /** The Pushgateway's in-cluster URL, for applications' `monitoring.pushgateway.url`; undefined without `pushgateway`. */
  public readonly pushgatewayUrl?: string;

  constructor(scope: Construct, id: string, props: PrometheusProps) {
    super(scope, id);
    const spec = { ...props, namespace: props.namespace ?? Chart.of(this).namespace };
    this.apiObjects = emitApiObjects(this, renderPrometheus(spec));
    this.pushgatewayUrl = prometheusPushgatewayUrl(spec);
    const name = prometheusNames(props).server;
    this.service = this.apiObjects.find((o) => o.kind === 'Service' && o.metadata.name === name)!;
  }
}

/** Props of a `PrometheusOperatorMonitoring` construct: the core spec. */
export interface PrometheusOperatorMonitoringProps extends Omit<PrometheusOperatorMonitoringSpec, 'namespace'> {
  /** Namespace of the PodMonitors and the PrometheusRule. @default - the chart's namespace, else "monitoring" */
  readonly namespace?: string;
}

/**
 * For clusters running the Prometheus Operator: PodMonitors for monitored Spark drivers and
 * sparkplane's programs, and a PrometheusRule with the library's alerting rules.
 */
export class PrometheusOperatorMonitoring extends Construct {
  /** Every object rendered, in order. */
  public readonly apiObjects: readonly ApiObject[];

  constructor(scope: Construct, id: string, props: PrometheusOperatorMonitoringProps) {
    super(scope, id);
    this.apiObjects = emitApiObjects(this, renderPrometheusOperatorObjects({ ...props, namespace: props.namespace ?? Chart.of(this).namespace }));
  }
}
