// The allocator sidecar against the real control plane: the bundled image program, run with the
// driver's own ServiceAccount token, creating executor pods on KWOK nodes for a simulated bridge
// (support/simulated-bridge.ts; the e2e suite runs the real bridge in a real Spark driver).
import { AllocatorFixture } from './support/allocator-fixture';
import { createRestrictedNamespace, deleteNamespace, waitFor } from './support/kube';

describe('the allocator sidecar on the real control plane', () => {
  let namespace: string;
  let fixture: AllocatorFixture;

  beforeAll(async () => {
    namespace = await createRestrictedNamespace('sp-alloc');
    fixture = new AllocatorFixture({ namespace, name: 'ramp', maxExecutors: 200 });
    await fixture.start();
  });

  afterAll(async () => {
    await fixture?.stop();
    deleteNamespace(namespace);
  });

  it('ramps to 30', async () => {
    fixture.bridge.setTarget(30);
    await waitFor(() => fixture.bridge.registered().length === 30, 60_000, '30 registered');
    const pods = await fixture.executorPods();
    expect(pods).toHaveLength(30);
    console.log(await fixture.metric('sparkplane_allocator_pods_created_total'));
  });
});
