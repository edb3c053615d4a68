// Chart downsampling: buckets keep spikes (max) and average trends (mean); nothing is merged
// while the steps fit.
import { describe, expect, it } from 'vitest';
import type { StepMetrics } from '../../playground/protocol.js';
import { aggregateSteps } from './metrics.js';

const step = (i: number, evictions = 0, gradNorm = 1): StepMetrics => ({
  step: i,
  loss: i,
  heldOutLoss: null,
  tables: { t: { size: 10 * i, capacity: 64, hitRate: 0.5, gradNorm, evictions } },
});

describe('aggregateSteps', () => {
  it('keeps every step when they fit', () => {
    const steps = Array.from({ length: 5 }, (_, i) => step(i + 1));
    const { rows, every } = aggregateSteps(steps, 10);
    expect(every).toBe(1);
    expect(rows.map((r) => r.step)).toEqual([1, 2, 3, 4, 5]);
    expect(rows[2]).toEqual({
      step: 3,
      loss: 3,
      't size': 30,
      't capacity': 64,
      't hit rate': 50,
      't grad norm': 1,
      't evictions': 0,
    });
  });

  it('an eviction spike on one step survives the thinning (max), the loss is the bucket mean', () => {
    // 1000 steps into at most 100 points: buckets of 10. Step 503 evicts 77 keys, step 504's gradient spikes.
    const steps = Array.from({ length: 1000 }, (_, i) => step(i + 1, i + 1 === 503 ? 77 : 0, i + 1 === 504 ? 9 : 1));
    const { rows, every } = aggregateSteps(steps, 100);
    expect(every).toBe(10);
    expect(rows).toHaveLength(100);
    expect(rows.at(-1)!.step).toBe(1000);
    const spike = rows.find((r) => r.step === 510)!;
    expect(spike['t evictions']).toBe(77);
    expect(spike['t grad norm']).toBe(9);
    expect(rows.filter((r) => r['t evictions'] > 0)).toHaveLength(1);
    // Loss: mean of steps 501..510; size: the bucket's max (its last step here).
    expect(spike.loss).toBeCloseTo(505.5, 10);
    expect(spike['t size']).toBe(5100);
    expect(spike['t hit rate']).toBe(50);
  });

  it('a length that does not divide: the first bucket is the short one, the last ends at the last step', () => {
    const steps = Array.from({ length: 25 }, (_, i) => step(i + 1));
    const { rows, every } = aggregateSteps(steps, 10);
    expect(every).toBe(3);
    expect(rows.map((r) => r.step)).toEqual([1, 4, 7, 10, 13, 16, 19, 22, 25]);
    expect(rows[0].loss).toBe(1);
    expect(rows[1].loss).toBe(3); // steps 2, 3, 4
  });
});
