// The typed @pulumi/kubernetes resource for each kind the core renders. Typed children (rather than
// yaml.v2.ConfigGroup) show up one by one in previews, diffs and unit-test mocks.
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { KubeObject } from '../core';

type KubeResourceClass = new (name: string, args: any, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;

const resourceClasses: Record<string, KubeResourceClass> = {
  'v1/Namespace': k8s.core.v1.Namespace,
  'v1/ServiceAccount': k8s.core.v1.ServiceAccount,
  'v1/ConfigMap': k8s.core.v1.ConfigMap,
  'v1/Secret': k8s.core.v1.Secret,
  'v1/Service': k8s.core.v1.Service,
  'v1/PersistentVolumeClaim': k8s.core.v1.PersistentVolumeClaim,
  'rbac.authorization.k8s.io/v1/Role': k8s.rbac.v1.Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': k8s.rbac.v1.RoleBinding,
  'rbac.authorization.k8s.io/v1/ClusterRole': k8s.rbac.v1.ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': k8s.rbac.v1.ClusterRoleBinding,
  'batch/v1/Job': k8s.batch.v1.Job,
  'apps/v1/DaemonSet': k8s.apps.v1.DaemonSet,
  'apps/v1/Deployment': k8s.apps.v1.Deployment,
  'networking.k8s.io/v1/NetworkPolicy': k8s.networking.v1.NetworkPolicy,
  'networking.k8s.io/v1/Ingress': k8s.networking.v1.Ingress,
  // The Prometheus Operator's kinds have no typed class: the provider's generic custom resource.
  'monitoring.coreos.com/v1/PodMonitor': k8s.apiextensions.CustomResource,
  'monitoring.coreos.com/v1/PrometheusRule': k8s.apiextensions.CustomResource,
};

/** Creates the typed resource for `object` (given with Inputs substituted) as a child of `parent`. */
export function createKubeResource(
  logicalName: string,
  object: KubeObject,
  args: pulumi.Input<KubeObject>,
  opts: pulumi.CustomResourceOptions,
): pulumi.CustomResource {
  const resourceClass = resourceClasses[`${object.apiVersion}/${object.kind}`];
  if (!resourceClass) throw new Error(`sparkplane/pulumi: no resource class for ${object.apiVersion} ${object.kind}`);
  return new resourceClass(logicalName, args, opts);
}
