// Which workspace changes empty a table. A table's keys live in the engine worker in a de.Variable
// created from the fields TFRA fixes at creation (CREATION_FIELDS): changing one of them, renaming
// or deleting the table, or loading a preset (which replaces every table) starts it empty. Every
// other change (learning rate, optimizer, maxNorm, restrict limit, gather path, features,
// generator, model and seed) keeps the rows: training starts over from step 0 with them.
import type { TableSpec, Workspace } from './schema.js';

/** The fields a de.Variable is created with; the worker recreates a table (empty) when one changes. */
export const CREATION_FIELDS = [
  'dim',
  'keyDtype',
  'partitions',
  'initializer',
  'initScale',
  'initSeed',
  'restrictPolicy',
  'insertOnLookup',
  'placement',
] as const satisfies readonly (keyof TableSpec)[];

export type CreationField = (typeof CREATION_FIELDS)[number];

const LABELS: Record<CreationField, string> = {
  dim: 'Dim',
  keyDtype: 'Key dtype',
  partitions: 'Partitions',
  initializer: 'Initializer',
  initScale: 'Initializer scale',
  initSeed: 'Initializer seed',
  restrictPolicy: 'Restrict policy',
  insertOnLookup: 'Insert on lookup',
  placement: 'Placement',
};

/** The worker's identity of a held table: equal keys reuse the table (and its rows). */
export function creationKey(t: Pick<TableSpec, CreationField>): string {
  return JSON.stringify(CREATION_FIELDS.map((k) => t[k]));
}

export interface Discard {
  table: string;
  keys: number;
  /** Why it is emptied, in words ("Dim 8 → 16", "deleted", "renamed to users", …). */
  why: string;
}

/**
 * The tables holding keys (`sizes`) that going from `before` to `after` empties, with why.
 * `replace`: the change replaces the whole workspace (a preset), so every table is emptied.
 */
export function discardsOf(
  before: Workspace,
  after: Workspace,
  sizes: Readonly<Record<string, number>>,
  replace = false,
): Discard[] {
  const out: Discard[] = [];
  before.tables.forEach((t, i) => {
    const keys = sizes[t.name] ?? 0;
    if (keys <= 0) return;
    if (replace) {
      out.push({ table: t.name, keys, why: 'the preset replaces every table' });
      return;
    }
    const next = after.tables.find((x) => x.name === t.name);
    if (!next) {
      const renamed = after.tables.length === before.tables.length ? after.tables[i] : undefined;
      out.push({
        table: t.name,
        keys,
        why:
          renamed && !before.tables.some((x) => x.name === renamed.name)
            ? `renamed to ${renamed.name} (a table is created under its name)`
            : 'deleted',
      });
      return;
    }
    const changed = CREATION_FIELDS.filter((k) => next[k] !== t[k]);
    if (changed.length > 0) {
      out.push({
        table: t.name,
        keys,
        why: changed.map((k) => `${LABELS[k]} ${String(t[k])} → ${String(next[k])}`).join(', '),
      });
    }
  });
  return out;
}
