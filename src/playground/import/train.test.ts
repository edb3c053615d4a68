// Training on an imported log, headless: the session reads batch n = rows n·B … of the log with
// its label column instead of the generator, and refuses a model the log cannot feed.
import { afterEach, describe, expect, it } from 'vitest';
import { TestSession } from '../test-session.js';
import { defaultFeature, defaultTable, defaultWorkspace, type Workspace } from '../workspace/schema.js';
import { trainingInputs } from '../workspace/requests.js';
import { ImportSession } from './session.js';

const open: TestSession[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.dispose();
});

// 60 rows: 6 users, |-lists of items with a per-row weight; the label is 1 exactly for even users.
const rows = Array.from({ length: 60 }, (_, i) => {
  const user = 100 + (i % 6);
  const items = [i % 11, 30 + (i % 4)].slice(0, 1 + (i % 2)).join('|');
  return `${user},${items},${(1 + (i % 3) * 0.5).toFixed(1)},"title ${i}, x",${user % 2 === 0 ? 1 : 0}`;
});
const csv = ['user_id,items,weight,title,label', ...rows].join('\n');

function workspace(): Workspace {
  const w = defaultWorkspace();
  return {
    ...w,
    tables: [...w.tables, { ...defaultTable('items_emb') }],
    features: [
      ...w.features,
      { ...defaultFeature('items', 'items_emb'), input: 'ragged', combiner: 'mean', weights: true },
    ],
    generator: { ...w.generator, batchSize: 24 },
  };
}

async function imported(): Promise<string> {
  const s = new ImportSession();
  await s.open(new Blob([csv]), 'log.csv');
  const b = s.build(
    [
      { column: 0, type: { kind: 'ids', separator: '|' }, role: { role: 'ids', feature: 'user_id' } },
      { column: 1, type: { kind: 'idList', separator: '|' }, role: { role: 'ids', feature: 'items' } },
      { column: 2, type: { kind: 'number', separator: '|' }, role: { role: 'weights', feature: 'items' } },
      { column: 4, type: { kind: 'ids', separator: '|' }, role: { role: 'label' } },
    ],
    [
      { name: 'user_id', keyDtype: 'int64', input: 'dense' },
      { name: 'items', keyDtype: 'int64', input: 'ragged' },
    ],
  );
  expect(b.rows).toBe(60);
  return s.logJson();
}

describe('training on an imported log', () => {
  it('reads the log and its label: only the imported ids enter the tables, the loss falls, step back replays', async () => {
    const t = await TestSession.create(workspace());
    open.push(t);
    t.session.setImportedLog(1, await imported());
    const { tables, features, config } = trainingInputs(t.workspace);
    const built = await t.session.trainConfigure(tables, features, { ...config, source: { kind: 'log', id: 1 } });
    expect(built.summary).toContain('Batches: the imported log (60 rows, its label column).');
    const first = await t.session.trainSteps(3);
    // 3 × 24 rows cover the 60 rows: every user (6) and item (11, plus 31 and 33 in the odd rows), nothing else.
    expect(first.sizes).toMatchObject({ user_emb: 6, items_emb: 13 });
    const more = await t.session.trainSteps(40);
    const early = first.metrics[0].loss;
    const late = more.metrics.slice(-5).reduce((a, m) => a + m.loss, 0) / 5;
    expect(late).toBeLessThan(early * 0.8);
    // Step back replays the same log batch: the same loss again.
    const last = more.metrics[more.metrics.length - 1].loss;
    await t.session.trainStepBack();
    expect((await t.session.trainSteps(1)).metrics[0].loss).toBeCloseTo(last, 6);
  });

  it('refuses a model the log cannot feed, and an id the session does not hold', async () => {
    const w = workspace();
    const t = await TestSession.create({
      ...w,
      tables: [...w.tables, defaultTable('extra_emb')],
      features: [...w.features, defaultFeature('extra', 'extra_emb')],
    });
    open.push(t);
    t.session.setImportedLog(2, await imported());
    const { tables, features, config } = trainingInputs(t.workspace);
    await expect(
      t.session.trainConfigure(tables, features, { ...config, source: { kind: 'log', id: 2 } }),
    ).rejects.toThrow(
      'Feature extra has no column in the imported log: map a column to its ids (or remove the feature), then apply the mapping.',
    );
    await expect(
      t.session.trainConfigure(tables, features, { ...config, source: { kind: 'log', id: 3 } }),
    ).rejects.toThrow('The imported log is not loaded here any more: import it again.');
  });
});
