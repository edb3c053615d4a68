// Deduplicating keys: unique keys in first-seen order and each key's position among them.
// Integer keys are hashed as 32-bit words in an open-addressing table (never a BigInt or a
// string map); string keys use a Map.
import type { Keys } from './tensor.js';

/**
 * Deduplicates keys: `unique` in first-seen order and `index[i]` = position of `keys[i]` in it.
 *
 * @example
 * uniqueKeys(new Int32Array([5, 3, 5])); // { unique: Int32Array [5, 3], index: Int32Array [0, 1, 0] }
 */
export function uniqueKeys(keys: Keys): { unique: Keys; index: Int32Array } {
  if (keys instanceof Int32Array) {
    const { first, index } = uniqueWords(keys, 1);
    const unique = new Int32Array(first.length);
    for (let j = 0; j < first.length; j++) unique[j] = keys[first[j]];
    return { unique, index };
  }
  if (keys instanceof BigInt64Array) {
    // a 64-bit key is two 32-bit words: hash and compare the words, never a BigInt
    const { first, index } = uniqueWords(new Int32Array(keys.buffer, keys.byteOffset, keys.length * 2), 2);
    const unique = new BigInt64Array(first.length);
    for (let j = 0; j < first.length; j++) unique[j] = keys[first[j]];
    return { unique, index };
  }
  const n = keys.length;
  const index = new Int32Array(n);
  const seen = new Map<string, number>();
  const unique: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    let u = seen.get(k);
    if (u === undefined) {
      u = unique.length;
      seen.set(k, u);
      unique.push(k);
    }
    index[i] = u;
  }
  return { unique, index };
}

// Open-addressing scratch table of uniqueWords (slot = 1 + unique position, 0 = empty), reused.
let slots = new Int32Array(0);

/**
 * Deduplicates `words.length / stride` keys of `stride` 32-bit words each (1: int32, 2: int64 as
 * lo/hi). Returns the position of each unique key's first occurrence, in first-seen order, and
 * every key's unique index. Linear probing over a power-of-two table at most half full.
 */
function uniqueWords(words: Int32Array, stride: 1 | 2): { first: Int32Array; index: Int32Array } {
  const n = words.length / stride;
  const index = new Int32Array(n);
  let bits = 4;
  while (1 << bits < 2 * n) bits++;
  const cap = 1 << bits;
  const mask = cap - 1;
  const shift = 32 - bits;
  if (slots.length < cap) slots = new Int32Array(cap);
  else slots.fill(0, 0, cap);
  const t = slots;
  const first = new Int32Array(n);
  let count = 0;
  if (stride === 1) {
    for (let i = 0; i < n; i++) {
      const k = words[i];
      let h = Math.imul(k, 0x9e3779b1) >>> shift;
      for (;;) {
        const s = t[h];
        if (s === 0) {
          first[count] = i;
          t[h] = ++count;
          index[i] = count - 1;
          break;
        }
        if (words[first[s - 1]] === k) {
          index[i] = s - 1;
          break;
        }
        h = (h + 1) & mask;
      }
    }
  } else {
    for (let i = 0; i < n; i++) {
      const lo = words[2 * i];
      const hi = words[2 * i + 1];
      let h = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> shift;
      for (;;) {
        const s = t[h];
        if (s === 0) {
          first[count] = i;
          t[h] = ++count;
          index[i] = count - 1;
          break;
        }
        const f = 2 * first[s - 1];
        if (words[f] === lo && words[f + 1] === hi) {
          index[i] = s - 1;
          break;
        }
        h = (h + 1) & mask;
      }
    }
  }
  return { first: first.subarray(0, count), index };
}
