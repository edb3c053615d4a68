import { describe, expect, it } from 'vitest';
import { formatBatch, parseBatch } from './parse.js';

function ok(text: string) {
  const r = parseBatch(text);
  if (!r.ok) throw new Error(`expected ok, got ${r.error.message} at ${r.error.offset}`);
  return r.batch;
}
function err(text: string) {
  const r = parseBatch(text);
  if (r.ok) throw new Error('expected an error');
  return r.error;
}

describe('parseBatch', () => {
  it('parses the TFRA doc example as a dense [3, 2] batch', () => {
    const b = ok('[[15, 2], [4, 92], [22, 4]]');
    expect(b.kind).toBe('dense');
    expect(b.shape).toEqual([3, 2]);
    expect(b.ids).toEqual([15, 2, 4, 92, 22, 4]);
    expect(b.weights).toBeNull();
    expect(b.rowSplits).toBeNull();
    expect(b.idType).toBe('number');
  });

  it('parses rank 0, 1 and 3', () => {
    expect(ok('7').shape).toEqual([]);
    expect(ok('[2, 7, 4, 1, 5]').shape).toEqual([5]);
    const b = ok('[[[1,2],[3,4],[5,6]],[[7,8],[9,10],[11,12]]]');
    expect(b.shape).toEqual([2, 3, 2]);
    expect(b.ids[11]).toBe(12);
  });

  it('parses ragged rank-2 lists with row splits, empty rows included', () => {
    const b = ok('[[1, 2, 3], [], [4]]');
    expect(b.kind).toBe('ragged');
    expect(b.shape).toEqual([3]);
    expect(b.rowSplits).toEqual([0, 3, 3, 4]);
    expect(b.ids).toEqual([1, 2, 3, 4]);
  });

  it('parses id:weight pairs', () => {
    const b = ok('[[7:0.5, 8:2], [9:-1e-1]]');
    expect(b.kind).toBe('ragged');
    expect(b.weights).toEqual([0.5, 2, -0.1]);
  });

  it('parses quoted and bare string ids', () => {
    const b = ok(`[["user 1", 'b'], [apple, pear.v2]]`);
    expect(b.idType).toBe('string');
    expect(b.ids).toEqual(['user 1', 'b', 'apple', 'pear.v2']);
  });

  it('keeps ids beyond 2^53 exact as bigints', () => {
    const b = ok('[9007199254740993, -9223372036854775808]');
    expect(b.idType).toBe('bigint');
    expect(b.ids).toEqual([9007199254740993n, -9223372036854775808n]);
  });

  it('accepts a trailing comma and whitespace across lines', () => {
    expect(ok('[\n  [1, 2],\n  [3, 4],\n]').shape).toEqual([2, 2]);
  });

  it('points at a missing comma', () => {
    const e = err('[[15, 2] [4, 92]]');
    expect(e.offset).toBe(9);
    expect(e.message).toMatch(/Expected "," or "\]"/);
  });

  it('points at a stray character, with line and column', () => {
    const e = err('[[1, 2],\n [3, #]]');
    expect(e.offset).toBe(14);
    expect(e.line).toBe(2);
    expect(e.column).toBe(6);
  });

  it('points at the opening bracket of an unclosed list', () => {
    const e = err('[[1, 2], [3, 4]');
    expect(e.offset).toBe(0);
    expect(e.message).toMatch(/Unclosed/);
  });

  it('rejects non-integer ids at the decimal point', () => {
    const e = err('[1, 2.5]');
    expect(e.offset).toBe(5);
  });

  it('rejects mixed id kinds at the first id of the other kind', () => {
    const e = err('[1, "a"]');
    expect(e.offset).toBe(4);
    expect(e.message).toMatch(/one kind/);
  });

  it('rejects mixing weighted and unweighted ids at the offender', () => {
    const e = err('[1:0.5, 2]');
    expect(e.offset).toBe(8);
  });

  it('rejects raggedness beyond rank 2 at the offending list', () => {
    const e = err('[[[1, 2]], [[3]]]');
    expect(e.offset).toBe(12);
    expect(e.message).toMatch(/Only rank-2/);
  });

  it('rejects uneven nesting', () => {
    const e = err('[[1, 2], 3]');
    expect(e.offset).toBe(9);
  });

  it('rejects an empty text and an empty list', () => {
    expect(err('   ').message).toMatch(/empty/);
    expect(err('[]').message).toMatch(/no ids/);
  });

  it('rejects text after the batch', () => {
    expect(err('[1, 2] ]').offset).toBe(7);
  });

  it('rejects an id beyond 64 bits', () => {
    expect(err('[1, 99999999999999999999]').offset).toBe(4);
  });

  it('rejects a missing weight after a colon', () => {
    expect(err('[1:, 2:1]').offset).toBe(3);
  });

  it('round-trips through formatBatch', () => {
    for (const t of ['[[15, 2], [4, 92], [22, 4]]', '[[1, 2, 3], [], [4]]', '[["a":1, "b":0.5]]', '[1, 2]', '7']) {
      const b = ok(t);
      expect(ok(formatBatch(b))).toEqual(b);
    }
  });
});

describe('parseBatch against a table (while typing)', () => {
  const int64 = { keyDtype: 'int64', table: 'user_emb' } as const;
  const bad = (text: string, target: Parameters<typeof parseBatch>[1]) => {
    const r = parseBatch(text, target);
    if (r.ok) throw new Error(`expected an error for ${text}`);
    return r.error;
  };

  it('a string id typed into an integer table points at it: what char, expected an integer, got the string', () => {
    const e = bad('[[15, 2], [4, abc]]', int64);
    expect(e.offset).toBe(14);
    expect(e.column).toBe(15);
    expect(e.message).toBe(
      'Expected an integer id (table user_emb has int64 keys), got the string "abc": \'a\' cannot start an int64 id.',
    );
    expect(bad('[["15", 2]]', { keyDtype: 'int32', table: 't' }).offset).toBe(2);
  });

  it('an integer id in a string table, and an id beyond int32 in an int32 table, are refused where they are', () => {
    const s = bad('[["a", 7]]', { keyDtype: 'string', table: 'words' });
    expect(s.offset).toBe(7);
    expect(s.message).toMatch(/Expected a string id \(table words has string keys\), got the integer 7/);
    const big = bad('[1, 2147483648]', { keyDtype: 'int32', table: 't' });
    expect(big.offset).toBe(4);
    expect(big.message).toMatch(/does not fit in table t's int32 keys/);
    expect(parseBatch('[1, 2147483647, -2147483648]', { keyDtype: 'int32', table: 't' }).ok).toBe(true);
  });

  it('valid ids for the table parse as without a table', () => {
    expect(parseBatch('[[15, 2], [4, 92]]', int64)).toEqual(parseBatch('[[15, 2], [4, 92]]'));
    expect(parseBatch('[["a", b]]', { keyDtype: 'string', table: 'w' }).ok).toBe(true);
  });
});
