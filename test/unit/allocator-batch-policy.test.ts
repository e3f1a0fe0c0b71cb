import fc from 'fast-check';
import { decideBatch, podsThatFit, type AllocatorObservation } from '../../lib/allocator/batch-policy';

const policy = { batchSize: 10, maxExecutors: 50 };

describe('the allocator\'s batch policy', () => {
  it('waits while requested pods are still starting', () => {
    expect(decideBatch({ expected: 40, requested: 10, registered: 7, pending: 3, pendingPastDeadline: 0 }, policy)).toEqual({ create: 0, reason: 'starting' });
  });

  it('does nothing at the target', () => {
    expect(decideBatch({ expected: 10, requested: 10, registered: 10, pending: 0, pendingPastDeadline: 0 }, policy)).toEqual({ create: 0, reason: 'at-target' });
  });

  it('requests the next batch, no more than what is missing', () => {
    expect(decideBatch({ expected: 40, requested: 10, registered: 10, pending: 0, pendingPastDeadline: 0 }, policy)).toEqual({ create: 10, reason: 'batch' });
    expect(decideBatch({ expected: 13, requested: 10, registered: 10, pending: 0, pendingPastDeadline: 0 }, policy)).toEqual({ create: 3, reason: 'batch' });
  });

  it('stops at maxExecutors, at the quota, and while pods sit Pending past the deadline', () => {
    expect(decideBatch({ expected: 80, requested: 50, registered: 50, pending: 0, pendingPastDeadline: 0 }, policy).reason).toBe('at-max');
    expect(decideBatch({ expected: 80, requested: 45, registered: 45, pending: 0, pendingPastDeadline: 0 }, policy).create).toBe(5);
    expect(decideBatch({ expected: 40, requested: 10, registered: 10, pending: 0, pendingPastDeadline: 0, quotaRoom: 4 }, policy).create).toBe(4);
    expect(decideBatch({ expected: 40, requested: 10, registered: 10, pending: 0, pendingPastDeadline: 0, quotaRoom: 0 }, policy).reason).toBe('no-quota-room');
    expect(decideBatch({ expected: 40, requested: 12, registered: 12, pending: 2, pendingPastDeadline: 1 }, policy).reason).toBe('pending-past-deadline');
  });

  it('never creates a pod while registered < requested, never exceeds maxExecutors or the quota (any observation)', () => {
    const observation = fc.record({
      expected: fc.integer({ min: 0, max: 2000 }),
      requested: fc.integer({ min: 0, max: 2000 }),
      registered: fc.integer({ min: 0, max: 2000 }),
      pendingPastDeadline: fc.integer({ min: 0, max: 5 }),
      quotaRoom: fc.option(fc.integer({ min: -5, max: 500 }), { nil: undefined }),
    }).map((o) => ({ ...o, registered: Math.min(o.registered, o.requested), pending: o.requested - Math.min(o.registered, o.requested) }));
    const batchPolicy = fc.record({ batchSize: fc.integer({ min: 1, max: 100 }), maxExecutors: fc.integer({ min: 1, max: 1500 }) });
    fc.assert(fc.property(observation, batchPolicy, (observed: AllocatorObservation, p) => {
      const { create } = decideBatch(observed, p);
      expect(create).toBeGreaterThanOrEqual(0);
      expect(create).toBeLessThanOrEqual(p.batchSize);
      if (observed.registered < observed.requested) expect(create).toBe(0);
      if (create > 0) expect(observed.requested + create).toBeLessThanOrEqual(p.maxExecutors);
      if (create > 0 && observed.quotaRoom !== undefined) expect(create).toBeLessThanOrEqual(observed.quotaRoom);
      if (create > 0) expect(observed.registered + create).toBeLessThanOrEqual(observed.expected);
    }), { numRuns: 5000, seed: 20261125 });
  });

  it('reaches any target from zero in ceil(target / batch) rounds when every pod registers at once', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 50 }), (target, batchSize) => {
      let requested = 0;
      let rounds = 0;
      while (requested < target) {
        const { create } = decideBatch({ expected: target, requested, registered: requested, pending: 0, pendingPastDeadline: 0 }, { batchSize, maxExecutors: 1000 });
        expect(create).toBeGreaterThan(0);
        requested += create;
        rounds++;
      }
      expect(requested).toBe(target);
      expect(rounds).toBe(Math.ceil(target / batchSize));
    }), { numRuns: 500, seed: 20261125 });
  });

  it('counts the pods a quota can still admit by its tightest resource', () => {
    const pod = { 'pods': 1, 'requests.cpu': 1, 'requests.memory': 2 * 2 ** 30 };
    expect(podsThatFit(pod, { 'requests.cpu': 10, 'requests.memory': 8 * 2 ** 30, 'pods': 100 })).toBe(4);
    expect(podsThatFit(pod, { pods: 3 })).toBe(3);
    expect(podsThatFit(pod, { 'requests.cpu': -2 })).toBe(0);
    expect(podsThatFit(pod, { 'limits.cpu': 1 })).toBeUndefined();
    expect(podsThatFit({ ...pod, 'requests.cpu': 0.1 }, { 'requests.cpu': 0.3 })).toBe(3);
    expect(podsThatFit(pod, {})).toBeUndefined();
  });
});
