// Emits the core's plain objects as cdk8s ApiObjects, one per object, under a construct.
import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import type { KubeObject } from '../core';

/** One ApiObject per object, with ids from kind and name (unique within one component). */
export function emitApiObjects(scope: Construct, objects: readonly KubeObject[]): ApiObject[] {
  return objects.map((object) => new ApiObject(scope, `${object.kind}-${object.metadata.name}`, { ...object }));
}
