import { describe, expect, it } from 'vitest';
import { byteTicks, byteUnit } from './CommCharts.js';

describe('byte axes', () => {
  it('one unit per axis and round ticks in it, covering the largest value', () => {
    expect(byteUnit(5376)).toEqual({ name: 'KiB', size: 1024 });
    expect(byteUnit(900)).toEqual({ name: 'B', size: 1 });
    expect(byteUnit(3 * 1024 * 1024)).toEqual({ name: 'MiB', size: 1024 * 1024 });
    // 5376 B = 5.25 KiB: steps of 2 KiB up to 6 KiB
    expect(byteTicks(5376, 1024)).toEqual([0, 2048, 4096, 6144]);
    expect(byteTicks(900, 1)).toEqual([0, 250, 500, 750, 1000]);
    expect(byteTicks(0, 1)).toEqual([0]);
  });
});
