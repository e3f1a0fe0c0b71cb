// Validates rendered objects against the Kubernetes OpenAPI schema, offline, with kubernetes-models
// (generated from the official OpenAPI document). It checks types, formats (quantities) and required
// fields; unknown fields are left to the real API server's strict field validation (integration suite).
import { Pod } from 'kubernetes-models/v1/Pod';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Secret } from 'kubernetes-models/v1/Secret';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { KubeObject } from '../../lib/core';

type Model = new (data: any) => { validate(): void };
const models: Record<string, Model> = {
  'v1/Pod': Pod,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Secret': Secret,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'batch/v1/Job': Job,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
};

/** Throws with the schema's complaint when `object` is not a valid object of its kind. */
export function validateKubeObject(object: Record<string, unknown>): void {
  const key = `${object.apiVersion}/${object.kind}`;
  const model = models[key];
  if (!model) throw new Error(`no schema for ${key} in test/support/kube-schema.ts`);
  try {
    new model(object).validate();
  } catch (error) {
    throw new Error(`${key} ${(object.metadata as any)?.name ?? ''}: ${(error as Error).message}`);
  }
}

/** Validates every object, and the executor pod template inside each ConfigMap that carries one. */
export function validateAll(objects: readonly KubeObject[], parseYaml: (text: string) => unknown): void {
  for (const object of objects) {
    validateKubeObject(object);
    const template = (object.data as Record<string, string> | undefined)?.['executor-pod-template.yaml'];
    if (template) validateKubeObject(parseYaml(template) as Record<string, unknown>);
  }
}
