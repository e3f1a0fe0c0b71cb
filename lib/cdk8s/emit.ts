// Emits the core's plain objects as cdk8s ApiObjects, one per object, under a construct.
import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { objectIds, type KubeObject } from '../core';

/** One ApiObject per object, with ids from kind and name (unique within one component). */
export function emitApiObjects(scope: Construct, objects: readonly KubeObject[]): ApiObject[] {
  const ids = objectIds(objects);
  return objects.map((object, i) => new ApiObject(scope, ids[i], { ...object }));
}
