// The Pulumi front end of the Prometheus component; see the cdk8s construct of the same name.
import * as pulumi from '@pulumi/pulumi';
import { prometheusNames, prometheusPushgatewayUrl, renderPrometheus, renderPrometheusOperatorObjects, type PrometheusOperatorMonitoringSpec, type PrometheusSpec } from '../core';
import { InputPlaceholders } from './input-placeholders';
import { emitKubeResources } from './spark-application';

/** Arguments of a `Prometheus` component: the core spec. */
export interface PrometheusArgs extends PrometheusSpec {}

/** A Prometheus server for sparkplane's applications and programs; see the cdk8s construct of the same name. */
export class Prometheus extends pulumi.ComponentResource {
  /** The server's Service name (port `web` 9090). */
  public readonly serviceName: string;
  /** The Pushgateway's in-cluster URL, for applications' `monitoring.pushgateway.url`; undefined without `pushgateway`. */
  public readonly pushgatewayUrl?: string;
  /** Every child resource, in render order. */
  public readonly resources: readonly pulumi.CustomResource[];

  constructor(name: string, args: PrometheusArgs, opts?: pulumi.ComponentResourceOptions) {
    super('sparkplane:monitoring:Prometheus', name, {}, opts);
    this.resources = emitKubeResources(name, renderPrometheus(args), new InputPlaceholders(), this);
    this.serviceName = prometheusNames(args ?? {}).server;
    this.pushgatewayUrl = prometheusPushgatewayUrl(args ?? {});
    this.registerOutputs({ serviceName: this.serviceName, pushgatewayUrl: this.pushgatewayUrl });
  }
}

/** Arguments of a `PrometheusOperatorMonitoring` component: the core spec. */
export interface PrometheusOperatorMonitoringArgs extends PrometheusOperatorMonitoringSpec {}

/** PodMonitors and a PrometheusRule for the Prometheus Operator; see the cdk8s construct of the same name. */
export class PrometheusOperatorMonitoring extends pulumi.ComponentResource {
  /** Every child resource, in render order. */
  public readonly resources: readonly pulumi.CustomResource[];

  constructor(name: string, args: PrometheusOperatorMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super('sparkplane:monitoring:PrometheusOperatorMonitoring', name, {}, opts);
    this.resources = emitKubeResources(name, renderPrometheusOperatorObjects(args), new InputPlaceholders(), this);
    this.registerOutputs({});
  }
}
