// The in-browser benchmark code run in Node: the plain-JS baseline agrees with the engine, the
// markdown is a table, and runPerf's sections give rows whose ratios are value / baseline.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { chartFor } from '../app/perf/charts.js';
import * as de from '../engine/index.js';
import {
  caseCount,
  formatReadable,
  JsTable,
  keysOfRanks,
  type PerfEvent,
  runPerf,
  toMarkdown,
  uniformRanks,
  zipfRanks,
} from './index.js';

beforeAll(async () => {
  await de.ready();
  await tf.setBackend('cpu');
});

describe('perf helpers', () => {
  it('the plain-JS table finds, upserts and gathers what the engine does', () => {
    const dim = 3;
    const keys = keysOfRanks(Int32Array.from({ length: 2000 }, (_, i) => i));
    const values = Float32Array.from({ length: keys.length * dim }, (_, i) => i / 7);
    const js = new JsTable(dim);
    const wasm = new de.HashTable({ keyDtype: 'int32', dim });
    js.upsert(keys, values);
    wasm.upsert(keys, values);
    const probe = keysOfRanks(Int32Array.from([5, 1999, 2000, 0, 5]));
    const rows = new Int32Array(5);
    const exists = new Uint8Array(5);
    js.find(probe, rows, exists);
    expect(Array.from(exists)).toEqual(Array.from(wasm.find(probe).exists));
    const a = new Float32Array(5 * dim);
    const b = new Float32Array(5 * dim);
    js.gather(probe, a, exists);
    wasm.gather(probe, b);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(js.size).toBe(2000);
    wasm.dispose();
  });

  it('draws Zipf ranks skewed towards rank 0 and uniform ranks spread out', () => {
    const z = zipfRanks(1000, 20_000, 1.1, 1);
    const u = uniformRanks(1000, 20_000, 1);
    const share = (xs: Int32Array) => xs.filter((x) => x < 10).length / xs.length;
    expect(share(z)).toBeGreaterThan(0.3);
    expect(share(u)).toBeLessThan(0.02);
  });

  it('writes rows as a markdown table, escaping pipes', () => {
    const md = toMarkdown([
      {
        section: 'gather',
        name: 'a | b',
        value: 2.5,
        unit: 'GB/s',
        baseline: 5,
        baselineName: 'copy',
        ratio: 0.5,
        params: {},
      },
    ]);
    expect(md.split('\n')).toEqual([
      '| section | case | value | unit | baseline | baseline value | ratio | note |',
      '|---|---|---|---|---|---|---|---|',
      '| gather | a \\| b | 2.50 | GB/s | copy | 5.00 | 0.500x |  |',
    ]);
  });
});

describe('runPerf in Node', () => {
  it('runs the quick hash-table and gather sections: rows against same-run baselines, progress to the end', async () => {
    const events: PerfEvent[] = [];
    const rows = await runPerf({ de, tf, size: 'quick', emit: (e) => events.push(e) }, ['hashtable', 'gather']);
    expect(rows).toHaveLength(2 * 5 + 3);
    for (const r of rows) {
      expect(r.value).toBeGreaterThan(0);
      expect(r.baseline).toBeGreaterThan(0);
      expect(r.ratio).toBeCloseTo(r.value / (r.baseline as number), 10);
    }
    const progress = events.filter((e) => e.kind === 'progress');
    const total = caseCount('hashtable', 'quick') + caseCount('gather', 'quick');
    expect(progress.map((p) => p.done)).toEqual(Array.from({ length: total + 1 }, (_, i) => i));
    expect(progress.at(-1)).toMatchObject({ done: total, total, label: 'done' });
    const chart = chartFor('hashtable', rows);
    expect(chart?.data.map((d) => d.x)).toEqual(['10k keys', '100k keys']);
    expect(chart?.series.map((s) => s.key)).toEqual([
      'insert',
      'find uniform',
      'find zipf',
      'upsert uniform',
      'upsert zipf',
    ]);
  });

  it('deep runs (npm run bench) add bytes per key, and time by the CPU clock they are given', async () => {
    let cpuCalls = 0;
    const cpuSeconds = () => {
      cpuCalls++;
      return performance.now() / 1000;
    };
    const rows = await runPerf({ de, tf, size: 'quick', deep: true, cpuSeconds, emit: () => {} }, ['hashtable']);
    expect(caseCount('hashtable', 'quick', true)).toBe(8);
    expect(rows).toHaveLength(2 * 5 + 2);
    expect(cpuCalls).toBeGreaterThan(100);
    const find = rows.find((r) => r.name === 'find uniform, 10000 keys');
    expect(find?.note).toMatch(/^wall-clock ratio \d+\.\d\d$/);
    const bytes = rows.filter((r) => r.unit === 'B/key');
    expect(bytes.map((r) => r.params.keys)).toEqual([10_000, 100_000]);
    for (const r of bytes) {
      // 4 key bytes + 16 x 4 value bytes raw; the table holds at least that, and its ratio is bytes / raw
      expect(r.baseline).toBe(68);
      expect(r.value).toBeGreaterThanOrEqual(68);
      expect(r.ratio).toBeCloseTo(r.value / 68, 10);
      expect(r.target).toBe('<= 1.5x raw');
    }
  });

  it('without WebGL the gather-path section falls back to WASM and says why', async () => {
    const events: PerfEvent[] = [];
    const rows = await runPerf({ de, tf, size: 'quick', emit: (e) => events.push(e) }, ['gpu']);
    expect(rows.map((r) => r.name)).toEqual([
      'WASM gather, batch 4096, dim 16, 65536 keys',
      'WASM gather, batch 65536, dim 16, 65536 keys',
      'WASM gather, batch 4096, dim 64, 65536 keys',
      'WASM gather, batch 65536, dim 64, 65536 keys',
    ]);
    const note = events.find((e) => e.kind === 'note');
    expect(note?.kind === 'note' && note.text).toMatch(
      /^WebGL missing: .*gatherReason: WebGL missing: the tfjs backend is 'cpu'/,
    );
    expect(de.backendInfo().gather).toBe('wasm');
  });

  it('refuses an unknown section or size, naming what is allowed', async () => {
    await expect(runPerf({ de, tf, size: 'quick', emit: () => {} }, ['disk' as never])).rejects.toThrow(
      /unknown section "disk"; sections are hashtable, gather, workers, train, gpu/,
    );
    await expect(runPerf({ de, tf, size: 'huge' as never, emit: () => {} }, ['gather'])).rejects.toThrow(
      /size must be 'quick' or 'full', got "huge"/,
    );
  });
});

describe('formatReadable', () => {
  it('writes 3 significant digits with k / M / G, never an exponent', () => {
    expect(formatReadable(25_010_000)).toBe('25.0 M');
    expect(formatReadable(526_732)).toBe('527 k');
    expect(formatReadable(1_234)).toBe('1234');
    expect(formatReadable(9.32)).toBe('9.32');
    expect(formatReadable(0.115)).toBe('0.115');
    expect(formatReadable(3.2e9)).toBe('3.20 G');
    expect(formatReadable(0)).toBe('0');
    expect(formatReadable(undefined)).toBe('');
    // axis ticks: no trailing zeros
    expect(formatReadable(12, { trim: true })).toBe('12');
    expect(formatReadable(2.5e7, { trim: true })).toBe('25 M');
    expect(formatReadable(12)).toBe('12.0');
  });
});
