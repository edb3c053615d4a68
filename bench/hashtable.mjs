// Hash-table section: find / upsert / insert throughput vs a plain-JS dynamic table, lookup +
// gather vs the same, gather bandwidth vs memory.copy and tfjs tf.gather (cpu), bytes per key.
//
// Timing: each pair of operations runs alternately and is timed by the CPU time the process
// used (medians), because the machines this runs on are shared and a loaded one makes the
// wall clock measure waiting for a core; each row's note gives the wall-clock ratio too.
// Insert rows time whole fills by CPU time as well.
import { cpuSeconds, gc, keysOfRanks, timePairCpu, uniformRanks, zipfRanks } from './lib.mjs';

const BATCH = 65536;

/** The obvious plain-JS dynamic table: Map<bigint, row> over a growable Float32Array arena. */
class JsTable {
  constructor(dim) {
    this.dim = dim;
    this.map = new Map();
    this.arena = new Float32Array(dim * 1024);
    this.rows = 0;
    this.free = [];
  }
  upsert(keys, values) {
    const dim = this.dim;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      let r = this.map.get(k);
      if (r === undefined) {
        r = this.free.length > 0 ? this.free.pop() : this.rows++;
        if ((r + 1) * dim > this.arena.length) {
          const bigger = new Float32Array(this.arena.length * 2);
          bigger.set(this.arena);
          this.arena = bigger;
        }
        this.map.set(k, r);
      }
      const a = this.arena;
      const o = r * dim;
      const v = i * dim;
      for (let j = 0; j < dim; j++) a[o + j] = values[v + j];
    }
  }
  find(keys, rows, exists) {
    for (let i = 0; i < keys.length; i++) {
      const r = this.map.get(keys[i]);
      rows[i] = r === undefined ? -1 : r;
      exists[i] = r === undefined ? 0 : 1;
    }
  }
  gather(keys, out, exists) {
    const dim = this.dim;
    const a = this.arena;
    for (let i = 0; i < keys.length; i++) {
      const r = this.map.get(keys[i]);
      if (r === undefined) {
        exists[i] = 0;
        continue;
      }
      exists[i] = 1;
      const o = r * dim;
      const d = i * dim;
      for (let j = 0; j < dim; j++) out[d + j] = a[o + j];
    }
  }
}

function fillBoth(de, n, dim, withJs) {
  const wasm = new de.HashTable({ keyDtype: 'int64', dim });
  const js = withJs ? new JsTable(dim) : undefined;
  const values = new Float32Array(BATCH * dim);
  for (let i = 0; i < values.length; i++) values[i] = (i % 97) / 97;
  let wasmSec = 0;
  let jsSec = 0;
  for (let start = 0; start < n; start += BATCH) {
    const count = Math.min(BATCH, n - start);
    const ranks = Int32Array.from({ length: count }, (_, i) => start + i);
    const keys = keysOfRanks(ranks);
    const v = values.subarray(0, count * dim);
    let t0 = cpuSeconds();
    wasm.upsert(keys, v);
    wasmSec += cpuSeconds() - t0;
    if (js) {
      t0 = cpuSeconds();
      js.upsert(keys, v);
      jsSec += cpuSeconds() - t0;
    }
  }
  return { wasm, js, wasmSec, jsSec };
}

function ratioRow(section, name, value, unit, baseline, extra = {}) {
  return { section, name, value, unit, baseline, ratio: baseline ? value / baseline : undefined, ...extra };
}

/**
 * Times a (dynemb) against b (its baseline) alternately, by CPU time (see timePairCpu).
 * Returns [a s, b s, the wall-clock ratio b/a of the same runs].
 */
function pair(a, b, opts) {
  const r = timePairCpu(a, b, opts);
  return [r.a, r.b, r.wallB / r.wallA];
}

/** The note of a row: its own words, then the wall-clock ratio of the same runs. */
function noteOf(wall, words) {
  const w = `wall-clock ratio ${wall.toFixed(2)}`;
  return words ? `${words}; ${w}` : w;
}

async function loadTf(log) {
  // tfjs greets Node users on the console; keep stdout clean for the JSON
  const saved = [console.log, console.warn, console.info];
  console.log = console.warn = console.info = () => {};
  try {
    const tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    await tf.ready();
    return tf;
  } catch (e) {
    log(`tfjs unavailable: ${e.message}`);
    return undefined;
  } finally {
    [console.log, console.warn, console.info] = saved;
  }
}

/** A filled source buffer: copying from untouched pages would read the shared zero page (2x too fast). */
function filled(heap, bytes, what) {
  const p = heap.alloc(bytes, what);
  heap.f32.fill(0.25, p >> 2, (p + bytes) >> 2);
  return p;
}

/** 1. find / upsert / insert throughput vs the plain-JS table, dim 8. */
export function throughput({ de, quick, log }, rows, minMs) {
  const S = 'hashtable';
  const sizes = quick ? [1e3, 1e5] : [1e3, 1e5, 1e6, 1e7];
  const dimT = 8;
  for (const n of sizes) {
    log(`  throughput at ${n} keys`);
    gc();
    // small tables fill in a blink: take the median of several fills
    const fills = [];
    for (let rep = 0; rep < (n <= 1e5 ? 7 : 1); rep++) fills.push(fillBoth(de, n, dimT, true));
    const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
    const wasmSec = median(fills.map((f) => f.wasmSec));
    const jsSec = median(fills.map((f) => f.jsSec));
    const { wasm, js } = fills[fills.length - 1];
    for (const f of fills) if (f.wasm !== wasm) f.wasm.dispose();
    rows.push(ratioRow(S, `insert ${n} new keys (batches of ${BATCH}, dim ${dimT})`, n / wasmSec, 'keys/s', n / jsSec));
    for (const dist of ['uniform', 'zipf1.1']) {
      const ranks = dist === 'uniform' ? uniformRanks(n, BATCH, 7) : zipfRanks(n, BATCH, 1.1, 7);
      const keys = keysOfRanks(ranks);
      const jr = new Int32Array(BATCH);
      const je = new Uint8Array(BATCH);
      const [tw, tj, w1] = pair(
        () => wasm.find(keys),
        () => js.find(keys, jr, je),
        { minMs },
      );
      rows.push(ratioRow(S, `find ${dist}, ${n} keys`, BATCH / tw, 'keys/s', BATCH / tj, { note: noteOf(w1) }));
      const values = new Float32Array(BATCH * dimT).fill(0.5);
      const [uw, uj, w2] = pair(
        () => wasm.upsert(keys, values),
        () => js.upsert(keys, values),
        { minMs },
      );
      rows.push(
        ratioRow(S, `upsert ${dist} (existing keys), ${n} keys`, BATCH / uw, 'keys/s', BATCH / uj, {
          note: noteOf(w2),
        }),
      );
    }
    wasm.dispose();
  }
}

/** 2. The targets: lookup+gather vs plain JS, and gather bandwidth vs memory.copy. */
export async function gatherTargets({ de, quick, log }, rows, minMs) {
  const S = 'hashtable';
  const nG = quick ? 1e5 : 1e6;
  const dimG = 64;
  const bytes = BATCH * dimG * 4;
  const gbs = (sec) => bytes / sec / 1e9;
  log(`  lookup + gather, ${nG} keys, dim ${dimG}`);
  gc();
  const { wasm, js } = fillBoth(de, nG, dimG, true);
  const heap = wasm.heap;
  const outPtr = heap.alloc(bytes, 'bench output');
  const srcPtr = filled(heap, bytes, 'bench copy source');
  const outView = () => heap.f32.subarray(outPtr >> 2, (outPtr >> 2) + BATCH * dimG);
  const copy = () => heap.exports.copyBytes(outPtr, srcPtr, bytes);
  const outJs = new Float32Array(BATCH * dimG);
  const ex = new Uint8Array(BATCH);
  for (const dist of ['uniform', 'zipf1.1']) {
    const ranks = dist === 'uniform' ? uniformRanks(nG, BATCH, 11) : zipfRanks(nG, BATCH, 1.1, 11);
    const keys = keysOfRanks(ranks);
    const [tw, tj, w3] = pair(
      () => wasm.gather(keys, outJs),
      () => js.gather(keys, outJs, ex),
      { minMs },
    );
    rows.push(
      ratioRow(
        S,
        `lookup+gather ${dist}, ${BATCH} int64 ids, dim ${dimG}, ${nG} keys, into a JS Float32Array`,
        BATCH / tw,
        'ids/s',
        BATCH / tj,
        {
          target: '>= 10x plain JS',
          note: noteOf(w3, 'baseline: Map<bigint,row> + Float32Array arena, timed alternately'),
        },
      ),
    );
    const [tv, tj2, w4] = pair(
      () => wasm.gather(keys, outView()),
      () => js.gather(keys, outJs, ex),
      { minMs },
    );
    rows.push(
      ratioRow(
        S,
        `lookup+gather ${dist}, ${BATCH} int64 ids, dim ${dimG}, ${nG} keys, into WASM memory`,
        BATCH / tv,
        'ids/s',
        BATCH / tj2,
        { note: noteOf(w4) },
      ),
    );
    if (dist !== 'uniform') continue;
    // bandwidth: output bytes per second vs memory.copy of the same bytes (from a filled source)
    const { rows: rowIdx } = wasm.find(keys);
    const [tr, tc, w5] = pair(() => wasm.readRows(rowIdx, outView()), copy, { minMs });
    rows.push(
      ratioRow(
        S,
        `gather of resolved rows (readRows), uniform, dim ${dimG}, ${nG}-key table, vs memory.copy of ${bytes} B`,
        gbs(tr),
        'GB/s',
        gbs(tc),
        {
          target: '>= 0.5x memory.copy',
          note: noteOf(w5, 'row indices from find; no hash lookups'),
        },
      ),
    );
    const [tg, tc2, w6] = pair(() => wasm.gather(keys, outView()), copy, { minMs });
    rows.push(
      ratioRow(
        S,
        `lookup+gather, uniform, dim ${dimG}, ${nG}-key table, vs memory.copy of ${bytes} B`,
        gbs(tg),
        'GB/s',
        gbs(tc2),
        {
          note: noteOf(w6, 'includes the hash lookups'),
        },
      ),
    );
    // the second ceiling: the same random rows copied out of a dense matrix, no hash table
    // (rows.ts gatherRows, the same copy loop), so DRAM/TLB latency of random rows is priced in
    const dense = filled(heap, nG * dimG * 4, 'bench dense matrix');
    const idxPtr = heap.alloc(BATCH * 4, 'bench dense indices');
    heap.i32.set(ranks, idxPtr >> 2);
    const [td, tc3, w7] = pair(() => heap.exports.gatherRows(dense, nG, dimG, idxPtr, BATCH, outPtr, 0), copy, {
      minMs,
    });
    rows.push(
      ratioRow(
        S,
        `random-row copy from a dense [${nG}, ${dimG}] matrix (same rows, no hash table) vs memory.copy`,
        gbs(td),
        'GB/s',
        gbs(tc3),
        {
          note: noteOf(w7, 'ceiling for random rows: cache + TLB misses'),
        },
      ),
    );
    const [tr2, td2, w8] = pair(
      () => wasm.readRows(rowIdx, outView()),
      () => heap.exports.gatherRows(dense, nG, dimG, idxPtr, BATCH, outPtr, 0),
      { minMs },
    );
    rows.push(
      ratioRow(S, `gather of resolved rows vs the dense random-row copy (same rows)`, gbs(tr2), 'GB/s', gbs(td2), {
        note: noteOf(w8),
      }),
    );
    heap.free(dense);
    heap.free(idxPtr);
    const tf = await loadTf(log);
    if (tf) {
      const exported = wasm.export(); // a dense [n, dim] matrix with the same rows
      const params = tf.tensor2d(exported.values, [nG, dimG]);
      const idx = tf.tensor1d(ranks, 'int32');
      const [tv3, tfGatherSec, w9] = pair(
        () => wasm.gather(keys, outView()),
        () => tf.gather(params, idx).dispose(),
        { minMs },
      );
      rows.push(
        ratioRow(
          S,
          `lookup+gather, uniform, dim ${dimG}: dynemb vs tfjs tf.gather (cpu, dense indices)`,
          gbs(tv3),
          'GB/s',
          gbs(tfGatherSec),
          {
            note: noteOf(w9, 'tf.gather has no hash lookup'),
          },
        ),
      );
      params.dispose();
      idx.dispose();
    }
  }
  wasm.dispose();

  // the same from a table whose rows fit in cache: the kernels' speed without DRAM latency
  {
    const nC = 4096;
    const { wasm: small } = fillBoth(de, nC, dimG, false);
    const h = small.heap;
    const o = h.alloc(bytes, 'bench output');
    const src = filled(h, bytes, 'bench copy source');
    const keys = keysOfRanks(uniformRanks(nC, BATCH, 5));
    const { rows: rowIdx } = small.find(keys);
    const view = () => h.f32.subarray(o >> 2, (o >> 2) + BATCH * dimG);
    const copyC = () => h.exports.copyBytes(o, src, bytes);
    const [tr, tc, w10] = pair(() => small.readRows(rowIdx, view()), copyC, { minMs });
    rows.push(
      ratioRow(
        S,
        `gather of resolved rows, uniform, dim ${dimG}, ${nC}-key table (cache-resident) vs memory.copy`,
        gbs(tr),
        'GB/s',
        gbs(tc),
        {
          target: '>= 0.5x memory.copy',
          note: noteOf(w10),
        },
      ),
    );
    const [tg, tc2, w11] = pair(() => small.gather(keys, view()), copyC, { minMs });
    rows.push(
      ratioRow(
        S,
        `lookup+gather, uniform, dim ${dimG}, ${nC}-key table (cache-resident) vs memory.copy`,
        gbs(tg),
        'GB/s',
        gbs(tc2),
        {
          target: '>= 0.5x memory.copy',
          note: noteOf(w11, 'includes the hash lookups'),
        },
      ),
    );
    small.dispose();
  }
}

/** 3. Bytes held per key at dim 16. */
export function bytesPerKey({ de, quick }, rows) {
  const S = 'hashtable';
  for (const n of quick ? [1e3, 1e5] : [1e3, 1e5, 1e6]) {
    gc();
    const { wasm: t } = fillBoth(de, n, 16, false);
    const raw = n * (8 + 16 * 4);
    const s = t.stats();
    rows.push({
      section: S,
      name: `bytes per key, ${n} int64 keys, dim 16 (load ${s.loadFactor.toFixed(2)})`,
      value: s.bytes / n,
      unit: 'B/key',
      baseline: raw / n,
      ratio: s.bytes / raw,
      target: '<= 1.5x raw',
    });
    t.dispose();
  }
}

export async function run(ctx) {
  const rows = [];
  const minMs = ctx.quick ? 100 : 400;
  throughput(ctx, rows, minMs);
  await gatherTargets(ctx, rows, minMs);
  bytesPerKey(ctx, rows);
  return rows;
}
