// Read-only views of a table for stats and the internals view.
import { G_KEYS, G_ROWS, groupAt } from './groups';
import { mix64 } from './hash';
import { T_CAP, T_GS, T_MODE, T_SLOTS } from './table-struct';

/** Reads an i32 field of the table struct (for the TS side's stats). */
export function tableField(t: usize, offset: i32): i32 {
  return load<i32>(t + (offset as usize));
}

/**
 * Probe-length histogram: hist[k] (k < buckets) counts keys found in the (k+1)-th group of their
 * probe sequence; the last bucket also counts longer probes.
 */
export function tableProbeHistogram(t: usize, hist: usize, buckets: i32): void {
  memory.fill(hist, 0, (buckets as usize) << 2);
  const slots = load<usize>(t, T_SLOTS);
  const gs = load<usize>(t, T_GS);
  const groups = (load<i32>(t, T_CAP) >> 4) as u32;
  const str = load<i32>(t, T_MODE) == 1;
  const gmask = groups - 1;
  for (let target: u32 = 0; target < groups; target++) {
    const gp = groupAt(slots, gs, target);
    for (let k: usize = 0; k < 16; k++) {
      if (load<u8>(gp + k) & 0x80) continue;
      const key = load<u64>(gp + G_KEYS + (k << 3));
      const h = str ? key : mix64(key);
      let g = ((h >> 7) as u32) & gmask;
      let step: u32 = 0;
      while (g != target) {
        step++;
        g = (g + step) & gmask;
      }
      const b = min(step as i32, buckets - 1);
      const p = hist + ((b as usize) << 2);
      store<i32>(p, load<i32>(p) + 1);
    }
  }
}

/** Copies the control bytes (cap u8) and the slot -> row map (cap i32, -1 where not full). */
export function tableInspect(t: usize, outCtrl: usize, outRows: usize): void {
  const slots = load<usize>(t, T_SLOTS);
  const gs = load<usize>(t, T_GS);
  const groups = (load<i32>(t, T_CAP) >> 4) as u32;
  for (let g: u32 = 0; g < groups; g++) {
    const gp = groupAt(slots, gs, g);
    const base = (g as usize) << 4;
    memory.copy(outCtrl + base, gp, 16);
    for (let k: usize = 0; k < 16; k++) {
      const full = (load<u8>(gp + k) & 0x80) == 0;
      store<i32>(outRows + ((base + k) << 2), full ? load<i32>(gp + G_ROWS + (k << 2)) : -1);
    }
  }
}
