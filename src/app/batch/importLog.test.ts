import { describe, expect, it } from 'vitest';
import { columnBatch, IMPORT_FORMAT_HELP, ImportCancelled, readLog, splitCsvLine } from './importLog.js';
import { parseBatch } from '../../playground/batch/parse.js';

const blob = (s: string) => new Blob([s]);
const noop = () => {};

describe('feature log import', () => {
  it('reads the CSV shown as the expected format', async () => {
    const log = await readLog(blob(IMPORT_FORMAT_HELP.csv), 'csv', noop, new AbortController().signal);
    expect(log.columns).toEqual(['user_id', 'items', 'label']);
    expect(log.rows).toEqual([
      ['42', '15, 2, 9', '1'],
      ['7', '4, 92', '0'],
    ]);
    const r = parseBatch(columnBatch(log, 1, 0, 2));
    expect(r.ok && r.batch.rowSplits).toEqual([0, 3, 5]);
  });

  it('reads the JSONL shown as the expected format, weights included', async () => {
    const log = await readLog(blob(IMPORT_FORMAT_HELP.jsonl), 'jsonl', noop, new AbortController().signal);
    expect(log.columns).toEqual(['user_id', 'items', 'label']);
    expect(log.rows[1]).toEqual(['7', '4:0.5, 92:1', '0']);
  });

  it('keeps lines split across chunk boundaries whole, and reports progress to the end', async () => {
    const lines = ['a,b'];
    for (let i = 0; i < 500; i++) lines.push(`${i},${i * 7} ${i * 11}`);
    const progress: number[] = [];
    const log = await readLog(
      blob(lines.join('\n')),
      'csv',
      (d, t) => progress.push(d / t),
      new AbortController().signal,
      37,
    );
    expect(log.rows).toHaveLength(500);
    expect(log.rows[499]).toEqual(['499', '3493, 5489']);
    expect(progress[progress.length - 1]).toBe(1);
    expect(log.skippedCount).toBe(0);
  });

  it('skips and reports bad lines with their line numbers', async () => {
    const log = await readLog(blob('a,b\n1,2\n1,2,3\n1,@@\n'), 'csv', noop, new AbortController().signal);
    expect(log.rows).toHaveLength(1);
    expect(log.skipped.map((s) => s.line)).toEqual([3, 4]);
    const j = await readLog(blob('{"a":1}\nnot json\n{"a":1.5}\n'), 'jsonl', noop, new AbortController().signal);
    expect(j.rows).toHaveLength(1);
    expect(j.skipped.map((s) => s.line)).toEqual([2, 3]);
  });

  it('stops when cancelled', async () => {
    const c = new AbortController();
    const p = readLog(blob('a\n1\n2\n3\n'), 'csv', () => c.abort(), c.signal, 2);
    await expect(p).rejects.toBeInstanceOf(ImportCancelled);
  });

  it('splits quoted CSV cells', () => {
    expect(splitCsvLine('1,"a,b",""""')).toEqual(['1', 'a,b', '"']);
  });
});
