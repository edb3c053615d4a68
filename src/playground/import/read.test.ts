import { describe, expect, it } from 'vitest';
import { CsvChunkParser, ImportFormatError } from './csv.js';
import { JsonlChunkParser } from './jsonl.js';
import { ImportCancelled, readLog } from './read.js';

const csv = (text: string, chunkBytes = 1 << 20) => readLog(new Blob([text]), 'csv', { chunkBytes });

describe('CSV reading (papaparse, in chunks)', () => {
  it('keeps quoted commas, doubled quotes and line breaks inside fields, and counts lines', async () => {
    const text =
      'id,title,items\n1,"Toy Story (1995), the film",4|92\n2,"He said ""hi""",7\n3,"two\nlines",8\n4,plain,9\n';
    for (const chunk of [1 << 20, 1, 3, 7]) {
      const t = await csv(text, chunk);
      expect(t.columns).toEqual(['id', 'title', 'items']);
      expect(t.rows).toEqual([
        ['1', 'Toy Story (1995), the film', '4|92'],
        ['2', 'He said "hi"', '7'],
        ['3', 'two\nlines', '8'],
        ['4', 'plain', '9'],
      ]);
      // Row 3 spans lines 4 and 5, so row 4 starts on line 6.
      expect(t.lines).toEqual([2, 3, 4, 6]);
    }
  });

  it('drops a byte-order mark, reads CRLF (split across chunks too) and passes over blank lines', async () => {
    const text = '\uFEFFuser_id,label\r\n42,1\r\n\r\n7,"0"\r\n';
    for (const chunk of [1 << 20, 1, 2, 5]) {
      const t = await csv(text, chunk);
      expect(t.columns).toEqual(['user_id', 'label']);
      expect(t.rows).toEqual([
        ['42', '1'],
        ['7', '0'],
      ]);
      expect(t.lines).toEqual([2, 4]);
    }
    // The BOM given as bytes (as a file holds it) is dropped too.
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('a\n1\n')]);
    expect((await readLog(new Blob([bytes]), 'csv')).columns).toEqual(['a']);
  });

  it('names empty and repeated header cells, and skips an unclosed quote with its line', async () => {
    const t = await csv('a,,a\n1,2,3\n4,"5,6\n');
    expect(t.columns).toEqual(['a', 'column_2', 'a_2']);
    expect(t.rows).toEqual([['1', '2', '3']]);
    expect(t.skippedCount).toBe(1);
    expect(t.skipped[0].line).toBe(3);
    expect(t.skipped[0].reason).toMatch(/never closed/);
  });

  it('parses a long line once at its end (no newline in a chunk = no re-parse)', () => {
    const p = new CsvChunkParser();
    p.push('a,b\n');
    const cell = 'x'.repeat(1000);
    for (let i = 0; i < 200; i++) p.push(i === 0 ? `1,${cell}` : cell);
    p.push('\n2,y\n');
    const t = p.end();
    expect(t.rows.length).toBe(2);
    expect((t.rows[0][1] as string).length).toBe(200_000);
  });

  it('refuses a line of more than a million fields before parsing it', () => {
    const p = new CsvChunkParser();
    p.push('a\n');
    expect(() => {
      for (let i = 0; i < 3; i++) p.push(','.repeat(400_000));
    }).toThrow('Line 2 holds more than 1,000,000 fields; at most 1,000,000 columns are read.');
  });

  it('refuses an empty file', async () => {
    await expect(csv('')).rejects.toBeInstanceOf(ImportFormatError);
    await expect(csv('\n\n')).rejects.toThrow('The file is empty');
  });

  it('stops when cancelled, and reports progress to the end', async () => {
    const c = new AbortController();
    const p = readLog(new Blob(['a\n1\n2\n3\n']), 'csv', {
      chunkBytes: 2,
      signal: c.signal,
      onProgress: () => c.abort(),
    });
    await expect(p).rejects.toBeInstanceOf(ImportCancelled);
    const seen: number[] = [];
    await readLog(new Blob(['a\n1\n2\n3\n']), 'csv', { chunkBytes: 3, onProgress: (d, t) => seen.push(d / t) });
    expect(seen).toEqual([3 / 8, 6 / 8, 1]);
  });
});

describe('JSONL reading', () => {
  it('reads keys as columns in first-seen order, skips bad lines with line numbers', () => {
    const p = new JsonlChunkParser();
    p.push('{"user": 1, "items": [2, 3]}\n\nnot json\n[1, 2]\n{"items": [4], "extra": "x"}\r\n');
    const t = p.end();
    expect(t.columns).toEqual(['user', 'items', 'extra']);
    expect(t.rows[0]).toEqual([1, [2, 3]]);
    expect(t.rows[1][1]).toEqual([4]);
    expect(t.rows[1][0]).toBeUndefined();
    expect(t.lines).toEqual([1, 5]);
    expect(t.skipped.map((s) => s.line)).toEqual([3, 4]);
    expect(t.skipped[1].reason).toMatch(/expected a JSON object .* got an array/);
  });

  it('treats constructor and __proto__ as ordinary keys', () => {
    const p = new JsonlChunkParser();
    p.push('{"constructor": 5, "__proto__": 6, "toString": 7}\n{"a": 1}\n{"__proto__": 8}\n');
    const t = p.end();
    expect(t.columns).toEqual(['constructor', '__proto__', 'toString', 'a']);
    expect(t.rows).toHaveLength(3);
    expect(t.rows[0].slice(0, 3)).toEqual([5, 6, 7]);
    // The line without those keys reads them as missing, not as Object.prototype's members.
    expect([t.rows[1][0], t.rows[1][1], t.rows[1][2]]).toEqual([undefined, undefined, undefined]);
    expect(t.rows[2][1]).toBe(8);
    expect(t.skippedCount).toBe(0);
  });
});
