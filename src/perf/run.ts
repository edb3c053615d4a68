// Runs the benchmark suite: the chosen sections in order, progress and rows reported as they come.
import { hashtable, hashtableSteps } from './cases/hashtable.js';
import { gather, gatherSteps } from './cases/gather.js';
import { gpu, gpuSteps } from './cases/gpu.js';
import { train, trainSteps } from './cases/train.js';
import { workers, workersSteps } from './cases/workers.js';
import { type PerfContext, Stepper } from './context.js';
import { type PerfRow, type PerfSize, type SectionId, SECTIONS } from './sections.js';

const RUNNERS: Record<SectionId, (ctx: PerfContext, st: Stepper) => Promise<void>> = {
  hashtable,
  gather,
  gpu,
  workers,
  train,
};

/**
 * How many progress steps a section takes at a size (for the progress bar).
 *
 * @example
 * caseCount('gather', 'quick'); // 3
 */
export function caseCount(section: SectionId, size: PerfSize, deep = false): number {
  const ctx = { size, deep };
  switch (section) {
    case 'hashtable':
      return hashtableSteps(ctx);
    case 'gather':
      return gatherSteps(ctx);
    case 'gpu':
      return gpuSteps();
    case 'workers':
      return workersSteps();
    case 'train':
      return trainSteps(ctx);
  }
}

/**
 * Runs the chosen sections in order, reporting progress and each row as it is measured (through
 * `ctx.emit`); resolves with every row.
 *
 * @example
 * await runPerf({ de, tf, size: 'quick', emit: console.log }, ['hashtable']);
 */
export async function runPerf(ctx: PerfContext, sections: readonly SectionId[] = SECTIONS): Promise<PerfRow[]> {
  for (const s of sections) {
    if (!(SECTIONS as readonly string[]).includes(s)) {
      throw new Error(`runPerf: unknown section ${JSON.stringify(s)}; sections are ${SECTIONS.join(', ')}.`);
    }
  }
  if (ctx.size !== 'quick' && ctx.size !== 'full') {
    throw new Error(`runPerf: size must be 'quick' or 'full', got ${JSON.stringify(ctx.size)}.`);
  }
  const rows: PerfRow[] = [];
  const inner: PerfContext = {
    ...ctx,
    emit: (e) => {
      if (e.kind === 'row') rows.push(e.row);
      ctx.emit(e);
    },
  };
  const st = new Stepper(
    inner,
    sections.reduce((a, s) => a + caseCount(s, ctx.size, ctx.deep === true), 0),
  );
  for (const s of sections) await RUNNERS[s](inner, st);
  ctx.emit({ kind: 'progress', done: st.total, total: st.total, label: 'done' });
  return rows;
}
