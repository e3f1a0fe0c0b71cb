// Runs a Pulumi program under pulumi.runtime.setMocks (no CLI, no engine) and captures the inputs
// of every resource it registers: what `pulumi up` would send to the providers.
import * as pulumi from '@pulumi/pulumi';

/** One registered resource: its type token, logical name and resolved inputs. */
export interface CapturedResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
}

const captured: CapturedResource[] = [];
pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      captured.push({ type: args.type, name: args.name, inputs: args.inputs });
      return { id: `${args.name}-id`, state: args.inputs };
    },
    call: (args) => args.inputs,
  },
  'sparkplane',
  'test',
  false,
);

/** Runs `program` and returns the resources it registered once registration has settled. */
export async function capturePulumiResources(program: () => unknown): Promise<CapturedResource[]> {
  captured.length = 0;
  await program();
  // Registration is asynchronous (inputs resolve first); wait until the count stops changing.
  let last = -1;
  let stableFor = 0;
  while (stableFor < 5) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    stableFor = captured.length === last ? stableFor + 1 : 0;
    last = captured.length;
  }
  return [...captured];
}

/** The Kubernetes objects among captured resources, as plain manifests. */
export function kubeObjectsOf(resources: readonly CapturedResource[]): Array<Record<string, any>> {
  return resources.filter((r) => r.type.startsWith('kubernetes:')).map((r) => r.inputs);
}
