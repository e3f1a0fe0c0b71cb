// The driver's identity and its least-privilege Role: exactly the API calls Spark's Kubernetes
// backend makes from a client-mode driver, namespaced, and nothing on Secrets or cluster scope.
import type { KubeObject } from '../kube-objects';
import { applicationLabels } from './naming';
import type { ResolvedSparkApplication } from './resolve';
import { ALLOCATOR_POLICY_RULES } from '../allocator/allocator-sidecar';

/** One rule of a Role. */
export interface PolicyRule {
  /** API groups ("" is the core group). */
  readonly apiGroups: readonly string[];
  /** Resources, e.g. "pods". */
  readonly resources: readonly string[];
  /** Verbs granted on them. */
  readonly verbs: readonly string[];
}

/** Whether the user's Spark configuration asks Spark to create executor PersistentVolumeClaims on demand. */
export function usesOnDemandClaims(sparkConf: Record<string, string> = {}): boolean {
  return Object.entries(sparkConf).some(
    ([key, value]) => /^spark\.kubernetes\.(driver|executor)\.volumes\.persistentVolumeClaim\.[^.]+\.options\.claimName$/.test(key) && value === 'OnDemand',
  );
}

/** Whether the user's Spark configuration makes the driver patch pods (labels on executors, or its own pod). */
export function patchesPods(sparkConf: Record<string, string> = {}): boolean {
  return (
    sparkConf['spark.kubernetes.executor.decommissionLabel'] !== undefined ||
    sparkConf['spark.kubernetes.executor.deleteOnTermination'] === 'false' ||
    sparkConf['spark.kubernetes.driver.annotateExitException'] === 'true'
  );
}

/**
 * The rules a client-mode driver needs, read in Spark 3.5.6, 4.0.2 and 4.1.1
 * (KubernetesClusterSchedulerBackend, ExecutorPodsAllocator, ExecutorPodsWatchSnapshotSource,
 * ExecutorPodsPollingSnapshotSource, ExecutorPodsLifecycleManager) and fabric8 6.7/7.x, whose
 * label-filtered `delete()` is one collection DELETE (RBAC verb deletecollection):
 * - pods: get its own pod (the executors' owner; fatal if denied), create executors, watch and
 *   list them, delete one by name, deletecollection by label (timed-out and excess pending pods,
 *   killed executors, all executors at stop); patch only when the configuration asks for it;
 * - configmaps: create the executors' SPARK_CONF_DIR ConfigMap, deletecollection at stop;
 * - persistentvolumeclaims: only with on-demand executor claims: create them, and delete them if
 *   creating the executor pod fails (they are owned by their executor pods, since
 *   spark.kubernetes.driver.ownPersistentVolumeClaim is rendered false, and go with them).
 * Services need nothing: the driver creates none in client mode, and
 * spark.kubernetes.driver.service.deleteOnTermination is rendered false.
 * With the allocator sidecar (same pod, same ServiceAccount), see ALLOCATOR_POLICY_RULES.
 */
export function driverPolicyRules(app: ResolvedSparkApplication): PolicyRule[] {
  const sparkConf = app.spec.sparkConf ?? {};
  const podVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', ...(patchesPods(sparkConf) ? ['patch'] : []), 'watch'];
  const rules: PolicyRule[] = [{ apiGroups: [''], resources: ['pods'], verbs: podVerbs }];
  if (sparkConf['spark.kubernetes.executor.disableConfigMap'] !== 'true') {
    rules.push({ apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'deletecollection'] });
  }
  if (usesOnDemandClaims(sparkConf)) {
    rules.push({ apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['create', 'delete'] });
  }
  if (app.allocator) rules.push(...ALLOCATOR_POLICY_RULES);
  return rules;
}

/** ServiceAccount (unless an existing one is used), Role and RoleBinding of the driver. */
export function renderDriverRbac(app: ResolvedSparkApplication): KubeObject[] {
  const metadata = (name: string) => ({ name, namespace: app.namespace, labels: applicationLabels(app.name, app.spec.labels, 'driver') });
  const objects: KubeObject[] = [];
  if (app.createServiceAccount) {
    // The token is mounted by the driver pod itself (automountServiceAccountToken on the pod), not by every pod using the account.
    objects.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: metadata(app.serviceAccountName), automountServiceAccountToken: false });
  }
  objects.push(
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: metadata(app.names.driver), rules: driverPolicyRules(app) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: metadata(app.names.driver),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: app.names.driver },
      subjects: [{ kind: 'ServiceAccount', name: app.serviceAccountName, namespace: app.namespace }],
    },
  );
  return objects;
}
