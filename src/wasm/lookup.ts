// The public lookup outside training, fused: route every id to its shard's table, find its row,
// and copy (clipping to maxNorm) straight into the `[n, dim]` output, each id's row once, with
// no deduplication and no expansion pass afterwards (a repeated id is just found again: a
// probe costs less than building and reading back a unique index).
//
// The shards of one Variable live in one heap, so one call serves any number of partitions.
// Clipping replicates the arithmetic of the tfjs ops the training path clips with (read.ts
// clipByMaxNorm on the cpu backend), so a lookup outside a tape returns the same bits as one
// inside it.
import { rowAddr } from './arena';
import { findRowsOrdered, slotOfKey, useOrder } from './batch';
import { rowAt } from './groups';
import { hashBytes, strLen, strPtr } from './hash';
import { copyRows } from './rows';
import { T_CAP, T_DIR, T_GS, T_SHIFT, T_SLOTS, T_STRIDE } from './table-struct';

/**
 * TFRA's default partitioner: `key mod N` as a floor-mod over the full signed range (`-1 mod 4 = 3`),
 * the string hash mod N; the same routing as src/engine/partition.ts's defaultShardOf.
 */
// @ts-ignore: decorator
@inline
function defaultShard(mode: i32, keys: usize, aux: usize, i: i32, nTables: i32): i32 {
  if (mode == 2) return (hashBytes(strPtr(keys, aux, i), strLen(keys, i)) % (nTables as u64)) as i32;
  if (mode == 0) {
    const r = load<i32>(keys + ((i as usize) << 2)) % nTables;
    return r < 0 ? r + nTables : r;
  }
  const r = load<i64>(keys + ((i as usize) << 3)) % (nTables as i64);
  return (r < 0 ? r + (nTables as i64) : r) as i32;
}

/**
 * Row addresses (u32, 0 when absent) of n keys to `addrs`, and a 0/1 mask to `exists`.
 * `tables` holds `nTables` u32 table handles; `shards` (0: the default partitioner) holds an
 * i32 shard per key. With one table, `scratch` (0 or tableOrderScratchBytes(n) bytes) lets a
 * large batch probe in home-group order. Returns the number found.
 */
export function lookupRows(
  tables: usize,
  nTables: i32,
  shards: usize,
  mode: i32,
  keys: usize,
  aux: usize,
  n: i32,
  addrs: usize,
  exists: usize,
  scratch: usize,
): i32 {
  let found = 0;
  if (nTables == 1) {
    const t = load<u32>(tables) as usize;
    const dir = load<usize>(t, T_DIR);
    const shift = load<i32>(t, T_SHIFT);
    const stride = load<usize>(t, T_STRIDE);
    if (useOrder(t, n, scratch)) {
      // rows to addrs in group order, then addresses in place
      found = findRowsOrdered(t, mode, keys, aux, n, addrs, scratch);
      for (let i = 0; i < n; i++) {
        const p = addrs + ((i as usize) << 2);
        const r = load<i32>(p);
        store<u32>(p, r >= 0 ? (rowAddr(dir, shift, stride, r) as u32) : 0);
        store<u8>(exists + (i as usize), r >= 0 ? 1 : 0);
      }
      return found;
    }
    const slots = load<usize>(t, T_SLOTS);
    const gs = load<usize>(t, T_GS);
    const gmask = ((load<i32>(t, T_CAP) >> 4) - 1) as u32;
    for (let i = 0; i < n; i++) {
      const s = slotOfKey(t, mode, keys, aux, i, slots, gs, gmask);
      let addr: usize = 0;
      if (s >= 0) {
        addr = rowAddr(dir, shift, stride, load<i32>(rowAt(slots, gs, s)));
        found++;
      }
      store<u32>(addrs + ((i as usize) << 2), addr as u32);
      store<u8>(exists + (i as usize), s >= 0 ? 1 : 0);
    }
    return found;
  }
  for (let i = 0; i < n; i++) {
    const sh = shards != 0 ? load<i32>(shards + ((i as usize) << 2)) : defaultShard(mode, keys, aux, i, nTables);
    const t = load<u32>(tables + ((sh as usize) << 2)) as usize;
    const slots = load<usize>(t, T_SLOTS);
    const gs = load<usize>(t, T_GS);
    const gmask = ((load<i32>(t, T_CAP) >> 4) - 1) as u32;
    const s = slotOfKey(t, mode, keys, aux, i, slots, gs, gmask);
    let addr: usize = 0;
    if (s >= 0) {
      addr = rowAddr(load<usize>(t, T_DIR), load<i32>(t, T_SHIFT), load<usize>(t, T_STRIDE), load<i32>(rowAt(slots, gs, s)));
      found++;
    }
    store<u32>(addrs + ((i as usize) << 2), addr as u32);
    store<u8>(exists + (i as usize), s >= 0 ? 1 : 0);
  }
  return found;
}

/** fround(1e-30): the epsilon clipByMaxNorm adds to the squared norm before its sqrt. */
const NORM_EPS: f32 = 1e-30;

/**
 * Copies n rows given as u32 addresses (0: skip) to `out` ([n, dim]). With maxNorm > 0 each row
 * is scaled as tfjs computes `v * (maxNorm / max(sqrt(sum(v²) + 1e-30), maxNorm))` on its cpu
 * backend: squares rounded to f32, summed in f64 in order, the sum rounded to f32, every later
 * step one f32 operation. Without maxNorm it is rows.ts copyRows (plain copies).
 */
export function lookupCopyRows(addrs: usize, n: i32, out: usize, dim: i32, maxNorm: f32): void {
  if (!(maxNorm > 0)) {
    copyRows(addrs, n, out, dim, 0);
    return;
  }
  const rowBytes = (dim as usize) << 2;
  let dst = out;
  for (let i = 0; i < n; i++) {
    const src = load<u32>(addrs + ((i as usize) << 2)) as usize;
    if (src != 0) {
      let sum: f64 = 0;
      for (let j = 0; j < dim; j++) {
        const x = load<f32>(src + ((j as usize) << 2));
        sum += (x * x) as f64;
      }
      const norm = Mathf.sqrt((sum as f32) + NORM_EPS);
      const scale: f32 = maxNorm / max<f32>(norm, maxNorm);
      for (let j = 0; j < dim; j++) {
        const off = (j as usize) << 2;
        store<f32>(dst + off, load<f32>(src + off) * scale);
      }
    }
    dst += rowBytes;
  }
}
