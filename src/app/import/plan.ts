// From the roles a person picked in the mapping table to what the import worker builds and what
// the workspace gains: pure functions over plain data (tested in Node). New features are only
// added to the workspace after the worker built the log, so a refused mapping changes nothing.
import type { ColumnRole, FeatureTarget, MappedColumn } from '../../playground/import/build.js';
import type { ColumnInfo } from '../../playground/import/columns.js';
import { lookupOp } from '../../playground/lookup/shape.js';
import { defaultFeature, defaultTable, LIMITS, NAME_RE, type Workspace } from '../../playground/workspace/index.js';

/** A column's role as picked: the build's roles, or "a new feature (and table) from this column". */
export type RoleChoice = ColumnRole | { role: 'new'; name: string };

export interface NewFeature {
  name: string;
  table: string;
  keyDtype: 'int64' | 'string';
  input: 'dense' | 'ragged';
  weights: boolean;
}

export type ImportPlan =
  | {
      ok: true;
      mapping: MappedColumn[];
      targets: FeatureTarget[];
      newFeatures: NewFeature[];
      /** Existing features that get weights from a column (their weights switch on). */
      weighted: string[];
    }
  | { ok: false; message: string };

/** A feature name made from a column name: letters, digits and _ only, not starting with a digit. */
export function featureNameOf(column: string): string {
  let n = column.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || 'feature';
  if (/^[0-9]/.test(n)) n = `f_${n}`;
  return n.slice(0, LIMITS.name);
}

function freeName(taken: Iterable<string>, stem: string): string {
  const set = new Set(taken);
  if (!set.has(stem)) return stem;
  for (let i = 2; ; i++) if (!set.has(`${stem}_${i}`)) return `${stem}_${i}`;
}

/**
 * Checks the picked roles against the workspace and turns them into the worker's mapping and
 * feature targets, plus the features to create.
 *
 * @example
 * planImport(w, [{ index: 1, role: { role: 'new', name: 'items' }, info }]).ok; // true
 */
export function planImport(
  w: Workspace,
  used: readonly { index: number; role: RoleChoice; info: (ColumnInfo & { index: number }) | null }[],
): ImportPlan {
  const fail = (message: string): ImportPlan => ({ ok: false, message });
  const newFeatures: NewFeature[] = [];
  const features = new Set(w.features.map((f) => f.name));
  const tables = w.tables.map((t) => t.name);
  const weightedNames = new Set<string>();
  for (const u of used) if (u.role.role === 'weights') weightedNames.add(u.role.feature);
  for (const u of used) {
    if (!u.info) return fail(`Column ${u.index + 1} does not exist in this log.`);
    if (u.role.role !== 'new') continue;
    const name = u.role.name;
    if (!NAME_RE.test(name) || name.length > LIMITS.name) {
      return fail(
        `The new feature name ${JSON.stringify(name)} (from column ${u.info.name}) must be letters, digits and _, not starting with a digit, at most ${LIMITS.name} characters.`,
      );
    }
    if (features.has(name))
      return fail(`A feature named ${name} exists already: map column ${u.info.name} to it instead.`);
    if (u.info.type.kind !== 'ids' && u.info.type.kind !== 'idList') {
      return fail(
        `Column ${u.info.name} is typed ${u.info.type.kind}: a feature's ids need a column typed ids or id list.`,
      );
    }
    const table = freeName(tables, `${name}_emb`);
    tables.push(table);
    features.add(name);
    const weights = weightedNames.has(name);
    newFeatures.push({
      name,
      table,
      keyDtype: u.info.integerIds ? 'int64' : 'string',
      input: u.info.type.kind === 'idList' || weights ? 'ragged' : 'dense',
      weights,
    });
  }
  if (w.features.length + newFeatures.length > LIMITS.features) {
    return fail(
      `At most ${LIMITS.features} features: this mapping would make ${w.features.length + newFeatures.length}.`,
    );
  }
  if (w.tables.length + newFeatures.length > LIMITS.tables) {
    return fail(
      `At most ${LIMITS.tables} tables: each new feature gets its own, which would make ${w.tables.length + newFeatures.length}.`,
    );
  }
  const targets: FeatureTarget[] = [];
  const weighted: string[] = [];
  for (const name of new Set(
    used.flatMap((u) =>
      u.role.role === 'new' || u.role.role === 'ids' || u.role.role === 'weights'
        ? [u.role.role === 'new' ? u.role.name : u.role.feature]
        : [],
    ),
  )) {
    const made = newFeatures.find((f) => f.name === name);
    if (made) {
      targets.push({ name, keyDtype: made.keyDtype, input: made.input });
      continue;
    }
    const f = w.features.find((x) => x.name === name);
    if (!f) return fail(`Feature ${name} does not exist.`);
    const keyDtype = w.tables.find((t) => t.name === f.table)?.keyDtype;
    if (!keyDtype) return fail(`Feature ${name} reads table ${f.table}, which does not exist.`);
    const op = lookupOp(f);
    if (weightedNames.has(name)) {
      if (op !== 'sparse') {
        return fail(
          `Feature ${name} is ${f.input}${f.maxSequenceLength > 0 ? ' with a max sequence length' : ''}: weights apply to sparse or ragged inputs with a combiner. Change its input in Features first.`,
        );
      }
      if (!f.weights) weighted.push(name);
    }
    targets.push({ name, keyDtype, input: op === 'embedding' || op === 'squashed' ? 'dense' : 'ragged' });
  }
  const mapping: MappedColumn[] = used.map((u) => ({
    column: u.index,
    type: u.info!.type,
    role: u.role.role === 'new' ? { role: 'ids', feature: u.role.name } : u.role,
  }));
  return { ok: true, mapping, targets, newFeatures, weighted };
}

/**
 * The workspace with the new features (each with its own table: the column's key dtype) added and
 * weights switched on where a column gives them; the same object when nothing changes.
 *
 * @example
 * withImportedFeatures(w, [{ name: 'items', table: 'items_emb', keyDtype: 'int64', input: 'ragged', weights: true }], []);
 */
export function withImportedFeatures(w: Workspace, add: readonly NewFeature[], weighted: readonly string[]): Workspace {
  if (add.length === 0 && weighted.length === 0) return w;
  const features = w.features.map((f) => (weighted.includes(f.name) ? { ...f, weights: true } : f));
  const batches: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, w.batches);
  for (const n of add) {
    features.push({
      ...defaultFeature(n.name, n.table),
      input: n.input,
      combiner: n.input === 'dense' ? 'none' : 'mean',
      weights: n.weights,
    });
    batches[n.name] = '';
  }
  return {
    ...w,
    tables: [...w.tables, ...add.map((n) => ({ ...defaultTable(n.table), keyDtype: n.keyDtype }))],
    features,
    batches,
  };
}
