// Where a table's shards live (in-process or on the worker pool) and what follows from it: how
// many pool workers start, which worker holds which shard, which settings cannot go together, and
// the messages the panels show for pooled tables. Shared by the session (which places tables) and
// the page (which explains the placement).
import type { TableSpec } from './schema.js';

/** How many engine workers the playground's pool starts: min(hardwareConcurrency, 4), at least 2. */
export function poolSize(hardwareConcurrency: number | undefined): number {
  const hc = Number.isInteger(hardwareConcurrency) && hardwareConcurrency! > 0 ? hardwareConcurrency! : 2;
  return Math.max(2, Math.min(hc, 4));
}

/** The pool worker each shard of a pooled table lives on (de.pool: shard i on worker i mod N). */
export function shardWorkers(partitions: number, workers: number): number[] {
  return Array.from({ length: partitions }, (_, s) => s % workers);
}

/** Why a table's settings cannot be combined with its placement, or null when they can. */
export function placementProblem(t: Pick<TableSpec, 'placement' | 'insertOnLookup'>): string | null {
  if (t.placement === 'workers' && t.insertOnLookup) {
    return 'insert on lookup cannot be used with placement on the worker pool (a pooled lookup is read-only: de.pool.placeVariable refuses insertOnLookup); turn insert on lookup off or keep the table in-process';
  }
  return null;
}

/** Step back with a table on the worker pool resets and replays from step 0: at most this many steps. */
export const POOLED_REPLAY_MAX = 200;

/** Why a model with a table on the worker pool has no keyframe checkpoint to go back to. */
export function pooledCheckpointMessage(names: string[]): string {
  return `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} placed on the worker pool, which keeps no keyframe checkpoints (de.checkpoint saves and restores in-process tables; a reload still keeps the pooled rows, slots and restrict status, in this browser); set the Placement to In-process in the Tables panel for them.`;
}

/** What the Code panel's downloads do with tables on the worker pool. */
export function pooledDownloadNote(names: string[]): string {
  return `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} on the worker pool: the downloads copy ${names.length === 1 ? 'its' : 'their'} rows, restrict status and optimizer slots from the workers into in-process tables first (de.checkpoint and de.interop read in-process tables), so the checkpoint restores into in-process de.Variables.`;
}
