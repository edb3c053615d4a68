import { describe, expect, it } from 'vitest';
import { logBatch } from './batches.js';
import { type FeatureTarget, MappingError } from './build.js';
import { ImportSession } from './session.js';

const open = async (text: string, name = 'log.csv') => {
  const s = new ImportSession();
  const summary = await s.open(new Blob([text]), name);
  return { s, summary };
};
const t = (name: string, keyDtype: FeatureTarget['keyDtype'] = 'int64', input: FeatureTarget['input'] = 'ragged') => ({
  name,
  keyDtype,
  input,
});
const kinds = (s: ImportSession) => s.columns(0, 100).columns.map((c) => [c.name, c.type.kind, c.type.separator]);

// The ordinary log: 20 rows, item ids |-separated, a numeric weight, a text-ish column.
const countries = ['de', 'United States', 'fr', 'Côte d’Ivoire'];
const ordinary = [
  'user_id,item_ids,weight,country,label',
  ...Array.from(
    { length: 20 },
    (_, i) =>
      `${100 + i},${[i, i + 1, i + 2].slice(0, 1 + (i % 3)).join('|')},0.${12 + i},"${countries[i % 4]}, EU",${i % 2}`,
  ),
].join('\n');

describe('column typing', () => {
  it('types ids, |-lists, numbers and text', async () => {
    const { s, summary } = await open(ordinary);
    expect(summary.rowsRead).toBe(20);
    expect(kinds(s)).toEqual([
      ['user_id', 'ids', '|'],
      ['item_ids', 'idList', '|'],
      ['weight', 'number', '|'],
      ['country', 'text', '|'],
      ['label', 'ids', '|'],
    ]);
    const items = s.columns(0, 100).columns[1];
    expect(items).toMatchObject({ filled: 20, fits: 20, integerIds: true, example: '"0"' });
  });

  it('types space-separated integers as a list, words with spaces as text, ; lists, JSON arrays', async () => {
    const { s } = await open('a,b,c,d\n15 2 9,New York,x;y,k1\n4|92,Old Town,z,k2\n');
    expect(kinds(s).map((k) => [k[1], k[2]])).toEqual([
      ['idList', ' |'],
      ['text', '|'],
      ['idList', ';'],
      ['ids', '|'],
    ]);
    const j = await open('{"items": [[4, 0.5], [92, 1]], "u": "a"}\n{"items": [7], "u": "b"}\n', 'x.jsonl');
    expect(kinds(j.s).map((k) => k[1])).toEqual(['idList', 'ids']);
  });

  it('suggests roles: columns named like features give their ids, a column named label is the label', async () => {
    const { s } = await open(ordinary);
    expect(s.suggestRoles(['user_id', 'country', 'weight'])).toEqual([
      { index: 0, role: { role: 'ids', feature: 'user_id' } },
      { index: 4, role: { role: 'label' } },
    ]);
  });

  it('retypes a column and recounts what fits', async () => {
    const { s } = await open(ordinary);
    const info = s.retype(3, { kind: 'ids', separator: '|' });
    expect(info).toMatchObject({ name: 'country', type: { kind: 'ids' }, fits: 20 });
    expect(s.retype(3, { kind: 'number', separator: '|' }).fits).toBe(0);
    expect(s.retype(0, { kind: 'number', separator: '|' }).fits).toBe(20);
    expect(s.columns(0, 5).columns[3].type.kind).toBe('number');
    expect(() => s.retype(5, { kind: 'ids', separator: '|' })).toThrow(
      'Column 6 does not exist: the log has 5 columns.',
    );
  });

  it('pages and filters the columns of a very wide log', async () => {
    const n = 100_000;
    const header = Array.from({ length: n }, (_, i) => `c${i}`).join(',');
    const row = Array.from({ length: n }, (_, i) => String(i % 7)).join(',');
    const { s, summary } = await open(`${header}\n${row}\n`);
    expect(summary.columns).toBe(n);
    const page = s.columns(50, 3);
    expect(page.total).toBe(n);
    expect(page.columns.map((c) => c.name)).toEqual(['c50', 'c51', 'c52']);
    const f = s.columns(0, 5, 'C9999');
    expect(f.matching).toBe(11); // c9999 and c99990..c99999
    expect(f.columns[0]).toMatchObject({ name: 'c9999', index: 9999 });
  });
});

describe('roles and rows', () => {
  it('reads every row of the ordinary log: ids, |-lists, a weight column and the label', async () => {
    const { s } = await open(ordinary);
    const b = s.build(
      [
        { column: 0, type: { kind: 'ids', separator: '|' }, role: { role: 'ids', feature: 'user_id' } },
        { column: 1, type: { kind: 'idList', separator: '|' }, role: { role: 'ids', feature: 'items' } },
        { column: 2, type: { kind: 'number', separator: '|' }, role: { role: 'weights', feature: 'items' } },
        { column: 4, type: { kind: 'ids', separator: '|' }, role: { role: 'label' } },
      ],
      [t('user_id', 'int64', 'dense'), t('items')],
    );
    expect(b).toMatchObject({ rows: 20, rowsRead: 20, skippedCount: 0, hasLabels: true, labelMean: 0.5 });
    expect(b.features).toEqual([
      { name: 'user_id', ids: 20, weighted: false },
      {
        name: 'items',
        ids: 1 + 2 + 3 + 1 + 2 + 3 + 1 + 2 + 3 + 1 + 2 + 3 + 1 + 2 + 3 + 1 + 2 + 3 + 1 + 2,
        weighted: true,
      },
    ]);
    const log = JSON.parse(s.logJson());
    expect(log.features[1].ids.slice(0, 6)).toEqual([0, 1, 2, 2, 3, 4]);
    expect(log.features[1].rowSplits.slice(0, 4)).toEqual([0, 1, 3, 6]);
    // The row's one weight is every id's weight.
    expect(log.features[1].weights.slice(0, 6)).toEqual([0.12, 0.13, 0.13, 0.14, 0.14, 0.14]);
  });

  it('skips only rows whose used columns are wrong, with line numbers and reasons', async () => {
    const text = [
      'user_id,items,weight,note,label',
      '1,4|92,0.5,fine,1', // line 2: kept
      '2,5,notanumber,"a, b",0', // line 3: bad weight
      'abc,6,1,x,1', // line 4: user id not an integer
      '4,7|8,1|2|3,y,0', // line 5: three weights for two ids
      '5,9,1,z,3', // line 6: label 3
      '6,,1,,1', // line 7: empty list, empty note: kept
      '7,10,1', // line 8: short row, note and label missing
      '8,11,1,"q""uote",0.25', // line 9: kept
      '9,12,1,w,1,extra', // line 10: too many cells
    ].join('\n');
    const { s } = await open(text);
    const mapping = [
      { column: 0, type: { kind: 'ids', separator: '|' }, role: { role: 'ids', feature: 'user_id' } },
      { column: 1, type: { kind: 'idList', separator: '|' }, role: { role: 'ids', feature: 'items' } },
      { column: 2, type: { kind: 'number', separator: '|' }, role: { role: 'weights', feature: 'items' } },
      { column: 4, type: { kind: 'number', separator: '|' }, role: { role: 'label' } },
    ] as const;
    const b = s.build(mapping, [t('user_id'), t('items')]);
    expect(b.rows).toBe(3);
    expect(b.rowsRead).toBe(9);
    expect(b.skipped.map((x) => x.line)).toEqual([3, 4, 5, 6, 8, 10]);
    expect(b.skipped.map((x) => x.reason)).toEqual([
      'column weight: "notanumber" is not a number',
      'column user_id: "abc" is not an integer (the table has int64 keys)',
      'column weight: 3 weights for 2 ids of items (give one weight, or one per id)',
      'column label: "3" is not a label (expected 0, 1 or a probability in [0, 1])',
      'column label: no label (expected 0, 1 or a probability in [0, 1])',
      '6 cells, the header has 5 (an unquoted comma? quote fields that hold commas)',
    ]);
    // Without the weight and label columns, the same file keeps every row whose ids are fine:
    // a column that is not used never drops a row.
    const ids = s.build(mapping.slice(0, 2), [t('user_id'), t('items')]);
    expect(ids.rows).toBe(7);
    expect(ids.skipped.map((x) => x.line)).toEqual([4, 10]);
    // A string-keyed table takes "abc" too.
    expect(s.build(mapping.slice(0, 1), [t('user_id', 'string')]).rows).toBe(8);
  });

  it('checks ids against the table: int32 range, dense rows of one width', async () => {
    const { s } = await open('a,b\n1,1|2\n3000000000,3|4\n5,6\n');
    const b = s.build(
      [
        { column: 0, type: { kind: 'ids', separator: '|' }, role: { role: 'ids', feature: 'a' } },
        { column: 1, type: { kind: 'idList', separator: '|' }, role: { role: 'ids', feature: 'b' } },
      ],
      [t('a', 'int32', 'dense'), t('b', 'int64', 'dense')],
    );
    expect(b.rows).toBe(1);
    expect(b.skipped.map((x) => [x.line, x.reason])).toEqual([
      [3, 'column a: 3000000000 is outside int32 (the table has int32 keys)'],
      [
        4,
        'column b: 1 ids; feature b is dense with 2 per row (make its input ragged or sparse for lists of any length)',
      ],
    ]);
  });

  it('refuses a mapping that cannot work, keeping the previous log', async () => {
    const { s } = await open(ordinary);
    const ok = s.build([{ column: 4, type: { kind: 'ids', separator: '|' }, role: { role: 'label' } }], []);
    expect(ok.rows).toBe(20);
    const bad =
      (m: Parameters<ImportSession['build']>[0], targets = [t('items')]) =>
      () =>
        s.build(m, targets);
    expect(
      bad([{ column: 3, type: { kind: 'text', separator: '|' }, role: { role: 'ids', feature: 'items' } }]),
    ).toThrow(/Column country is typed text: the ids of items need a column typed ids or id list/);
    expect(
      bad([{ column: 2, type: { kind: 'number', separator: '|' }, role: { role: 'weights', feature: 'items' } }]),
    ).toThrow("Column weight holds weights of items, but no column gives items's ids.");
    expect(
      bad([
        { column: 2, type: { kind: 'number', separator: '|' }, role: { role: 'label' } },
        { column: 4, type: { kind: 'number', separator: '|' }, role: { role: 'label' } },
      ]),
    ).toThrow('Two label columns: weight and label; choose one.');
    expect(
      bad([{ column: 1, type: { kind: 'idList', separator: '|' }, role: { role: 'ids', feature: 'nope' } }]),
    ).toThrow(MappingError);
    expect(bad([{ column: 9, type: { kind: 'ids', separator: '|' }, role: { role: 'label' } }])).toThrow(
      'Column 10 does not exist: the log has 5 columns.',
    );
    expect(JSON.parse(s.logJson()).rows).toBe(20);
  });

  it('JSONL: inline [id, weight] pairs, and the keys constructor / __proto__ as columns and features', async () => {
    const text = [
      '{"constructor": 1, "__proto__": [[4, 0.5], [92, 2]], "label": 1}',
      '{"constructor": 2, "label": 0}',
      '{"__proto__": [7], "constructor": 3, "label": true}',
    ].join('\n');
    const { s, summary } = await open(text, 'log.jsonl');
    expect(summary.rowsRead).toBe(3);
    const b = s.build(
      [
        { column: 0, type: { kind: 'ids', separator: '|' }, role: { role: 'ids', feature: 'constructor' } },
        { column: 1, type: { kind: 'idList', separator: '|' }, role: { role: 'ids', feature: '__proto__' } },
        { column: 2, type: { kind: 'number', separator: '|' }, role: { role: 'label' } },
      ],
      [t('constructor'), t('__proto__')],
    );
    expect(b.rows).toBe(3);
    const log = JSON.parse(s.logJson());
    expect(log.features[1]).toMatchObject({
      name: '__proto__',
      ids: [4, 92, 7],
      rowSplits: [0, 2, 2, 3],
      weights: [0.5, 2, 1],
    });
    const batch = logBatch(log, 2, 0);
    expect(Object.keys(batch.features)).toEqual(['constructor', '__proto__']);
    expect(batch.features['__proto__'].ids).toEqual([4, 92]);
    expect(batch.labels).toEqual([1, 0]);
  });
});

describe('batches from the log', () => {
  it('"Use rows" text never cuts a row, and says how many rows fit', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => `${i},${i}|${i + 1}|${i + 2}`);
    const { s } = await open(['u,items', ...rows].join('\n'));
    s.build(
      [{ column: 1, type: { kind: 'idList', separator: '|' }, role: { role: 'ids', feature: 'items' } }],
      [t('items')],
    );
    const all = s.batchTexts(0, 3, 20_000);
    expect(all).toEqual({ texts: [['items', '[[0, 1, 2], [1, 2, 3], [2, 3, 4]]']], rows: 3, note: null });
    const cut = s.batchTexts(10, 40, 50);
    expect(cut.texts[0][1]).toBe('[[10, 11, 12], [11, 12, 13], [12, 13, 14]]');
    expect(cut.rows).toBe(3);
    expect(cut.note).toBe('3 rows fit in the batch box (50 characters per feature).');
  });

  it('string ids are quoted for the batch box; training batches wrap around the log', async () => {
    const { s } = await open("who,label\nann,1\nbob,0\nO'Hara,1\n");
    s.build(
      [
        { column: 0, type: { kind: 'ids', separator: '|' }, role: { role: 'ids', feature: 'who' } },
        { column: 1, type: { kind: 'number', separator: '|' }, role: { role: 'label' } },
      ],
      [t('who', 'string', 'dense')],
    );
    expect(s.batchTexts(0, 5, 1000).texts).toEqual([['who', `[["ann"], ["bob"], ["O'Hara"]]`]]);
    const log = JSON.parse(s.logJson());
    const b0 = logBatch(log, 2, 0);
    expect(b0.features.who).toMatchObject({ ids: ['ann', 'bob'], shape: [2, 1], rowSplits: null, newIds: 2 });
    const b1 = logBatch(log, 2, 1);
    expect(b1.features.who).toMatchObject({ ids: ["O'Hara", 'ann'], newIds: 1 });
    expect(b1.labels).toEqual([1, 1]);
    expect(logBatch(log, 2, 7)).toEqual(logBatch(log, 2, 7));
    expect(() => logBatch({ ...log, labels: null }, 2, 0)).toThrow(/no label column/);
  });
});
