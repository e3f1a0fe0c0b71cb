// Conversions from cdk8s-plus handles to the plain values the core takes, so a construct can accept
// `kplus.Volume`, `kplus.ISecret` and `kplus.IServiceAccount` where cdk8s users already have them.
import * as kplus from 'cdk8s-plus-27';
// toJson_Volume turns cdk8s-plus's typed volume (Quantity objects and all) into the API's JSON shape.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import { toJson_Volume } from 'cdk8s-plus-27/lib/imports/k8s';
import type { KubeVolume } from '../core';

/** A volume given either in the Kubernetes shape or as a cdk8s-plus Volume. */
export type VolumeInput = KubeVolume | kplus.Volume;

/** A Secret given by name or as a cdk8s-plus Secret. */
export type SecretInput = string | kplus.ISecret;

/** The plain Kubernetes volume of either form. */
export function toKubeVolume(volume: VolumeInput): KubeVolume {
  return volume instanceof kplus.Volume ? (toJson_Volume(volume._toKube()) as KubeVolume) : volume;
}

/** The name of either form of Secret. */
export function secretName(secret: SecretInput): string {
  return typeof secret === 'string' ? secret : secret.name;
}
