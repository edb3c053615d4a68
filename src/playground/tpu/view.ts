// What the Virtual TPU panel draws: plain data the simulator hands the page after every phase.
import type * as de from '../../engine/index.js';
import type { Phase, ShardingMode, TpuBatch, TpuConfig } from './config.js';
import type { LiveStep } from './live-step.js';

/** One message of the ring step being shown. */
export interface RingView {
  table: string;
  /** Index of this table's ring and the number of rings in the step. */
  ringIndex: number;
  rings: number;
  phase: 'reduce-scatter' | 'all-gather' | 'done';
  /** Ring steps done in this ring, and its total 2(n-1). */
  done: number;
  total: number;
  last: de.tpu.RingStepReport | null;
  bytesPerLink: number[];
}

export interface CoreView {
  core: number;
  /** [start, end) of the global batch this core runs. */
  range: [number, number];
  /** Rows the core's slice reads, per table. */
  rowsRead: number[][];
  /** The pool worker holding this core, or -1 on the main thread. */
  worker: number;
  /** The core's loss (after the lookup phase). */
  loss: number | null;
  /** Nonzero gradient rows per table (after backward). */
  gradRows: number[][];
}

export interface CostRow {
  mode: ShardingMode;
  cost: de.tpu.StepCost;
}

export interface StepSummary {
  step: number;
  label: 'step' | 'resync';
  bytes: number;
  byKind: Record<de.tpu.CollectiveKind, number>;
}

export interface TpuView {
  config: TpuConfig;
  step: number;
  phase: Phase;
  batch: TpuBatch;
  cores: CoreView[];
  checksums: number[];
  inSync: boolean;
  ring: RingView | null;
  /** Faults set; `now`: acting on the all-reduce in progress (else they wait for the next step's). */
  faults: { kind: 'drop' | 'straggler'; core: number; remainingSteps: number; now: boolean }[];
  history: StepSummary[];
  /** The collectives of the last step (bytes and link matrix). */
  lastCollectives: de.tpu.CollectiveRecord[];
  /** Predicted bytes of the next step for every sharding mode, for the current tables and batch. */
  costs: CostRow[];
  /** Bytes the last step actually moved and what the cost model predicted for it. */
  lastMeasured: { measured: number; predicted: number } | null;
  /** After apply: whether the engine's update equals the replayed ring's result on every core. */
  replayMatches: boolean | null;
  meanLoss: number[];
  /** What the next phase button does, in words. */
  nextAction: string;
  tables: { name: string; vocabularySize: number; dim: number }[];
}

const KINDS: de.tpu.CollectiveKind[] = ['all-reduce', 'all-to-all', 'reduce-scatter', 'all-gather', 'broadcast'];

/**
 * The finished steps of the engine's communication log, with their bytes by collective kind, and
 * the last finished training step. A step held at its ring steps (or one that failed) has an entry
 * of its own in the log, numbered done + 1, with the bytes moved so far: it is left out.
 *
 * @example
 * finishedSteps(strategy.commStats(), strategy.stepCount).history.at(-1)?.bytes;
 */
export function finishedSteps(
  stats: ReturnType<de.tpu.VirtualTPUStrategy['commStats']>,
  done: number,
): { history: StepSummary[]; lastStep: (typeof stats.steps)[number] | undefined } {
  const finished = stats.steps.filter(
    (s, i, all) =>
      s.label !== 'step' || (s.step <= done && !all.slice(i + 1).some((t) => t.label === 'step' && t.step === s.step)),
  );
  const history = finished.map((s) => {
    const byKind = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<de.tpu.CollectiveKind, number>;
    for (const c of s.collectives) byKind[c.kind] += c.bytes;
    return { step: s.step, label: s.label, bytes: s.bytes, byKind };
  });
  return { history, lastStep: finished.filter((s) => s.label === 'step').at(-1) };
}

/**
 * The ring step the held engine step shows now, for the ring drawing.
 *
 * @example
 * ringView(live, tableConfigs, 4).phase; // 'reduce-scatter' for the first 3 of 6 ring steps
 */
export function ringView(live: LiveStep, tables: de.tpu.TableConfig[], numCores: number): RingView {
  const shown = live.shown;
  const ringIndex = shown?.ring ?? 0;
  const total = 2 * (numCores - 1);
  return {
    table: tables[ringIndex].name ?? `table_${ringIndex}`,
    ringIndex,
    rings: tables.length,
    phase: !shown
      ? 'reduce-scatter'
      : shown.done === total
        ? 'done'
        : shown.done < total / 2
          ? 'reduce-scatter'
          : 'all-gather',
    done: shown?.done ?? 0,
    total,
    last: shown?.report ?? null,
    bytesPerLink: [...live.bytesPerLink],
  };
}
