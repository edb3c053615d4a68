// Where each table's rows and columns live on the cores, for every sharding mode, and the cost
// model that predicts the bytes a training step moves (TorchRec's data_parallel / table_wise /
// row_wise / column_wise, and TPUEmbedding V2's "mod" sharding).
import { InvalidArgumentError, show } from '../errors.js';
import { evenChunks } from './collectives.js';

/** How tables are laid out on the cores. */
export type ShardingMode = 'replicated' | 'mod' | 'row' | 'table' | 'column';
/** Every mode, in the order the UI lists them. */
export const SHARDING_MODES: readonly ShardingMode[] = ['replicated', 'mod', 'row', 'table', 'column'];

/** Bytes per routed id: (id int32, weight float32, position int32). */
export const ID_RECORD_BYTES = 12;
/** Bytes per float32. */
export const FLOAT_BYTES = 4;

/**
 * One table's placement. `replicated`: every core holds all of it. `mod`: row r on core r % n
 * (local row floor(r / n)). `row`: blocks of ceil(V / n) rows. `table`: the whole table on core
 * `tableIndex % n`. `column`: every core holds all rows and a slice of the columns.
 *
 * @example
 * const l = new TableLayout('row', 2, 5, 4, 0);
 * l.owner(3); // 1 (rows 0..2 on core 0, rows 3..4 on core 1)
 * l.localRow(3); // 0
 */
export class TableLayout {
  readonly rowBlock: number;
  readonly colSizes: number[];
  readonly colStarts: number[];
  readonly tableOwner: number;

  constructor(
    readonly mode: ShardingMode,
    readonly numCores: number,
    readonly vocabularySize: number,
    readonly dim: number,
    readonly tableIndex: number,
  ) {
    this.rowBlock = Math.ceil(vocabularySize / numCores);
    this.colSizes = mode === 'column' ? evenChunks(dim, numCores) : new Array(numCores).fill(dim);
    this.colStarts = [];
    let c = 0;
    for (const s of this.colSizes) {
      this.colStarts.push(mode === 'column' ? c : 0);
      c += s;
    }
    this.tableOwner = tableIndex % numCores;
  }

  /** The core holding row `id` (row / mod / table); -1 when every core holds it (replicated / column). */
  owner(id: number): number {
    switch (this.mode) {
      case 'mod':
        return id % this.numCores;
      case 'row':
        return Math.floor(id / this.rowBlock);
      case 'table':
        return this.tableOwner;
      default:
        return -1;
    }
  }

  /** Row `id`'s index inside its owner's shard. */
  localRow(id: number): number {
    if (this.mode === 'mod') return Math.floor(id / this.numCores);
    if (this.mode === 'row') return id - this.owner(id) * this.rowBlock;
    return id;
  }

  /** The global row of local row `local` on `core`. */
  globalRow(core: number, local: number): number {
    if (this.mode === 'mod') return local * this.numCores + core;
    if (this.mode === 'row') return core * this.rowBlock + local;
    return local;
  }

  /** Rows of the shard on `core`. */
  rowsOn(core: number): number {
    const V = this.vocabularySize;
    const n = this.numCores;
    switch (this.mode) {
      case 'mod':
        return core < V ? Math.ceil((V - core) / n) : 0;
      case 'row':
        return Math.max(0, Math.min(V, (core + 1) * this.rowBlock) - core * this.rowBlock);
      case 'table':
        return core === this.tableOwner ? V : 0;
      default:
        return V;
    }
  }

  /** Columns of the shard on `core`. */
  colsOn(core: number): number {
    if (this.mode === 'table' && core !== this.tableOwner) return 0;
    return this.colSizes[core];
  }

  /** Floats of the shard on `core`. */
  sizeOn(core: number): number {
    return this.rowsOn(core) * this.colsOn(core);
  }
}

/** What the cost model needs to know about one feature on one core. */
export interface FeatureTraffic {
  /** Index of the feature's table in `tables`. */
  table: number;
  /** Per core: the ids the core looks up (real entries only, padding excluded). */
  idsPerCore: number[][];
  /** Per core: floats of the feature's pooled (or per-position) output, `[B, dim]` = B * dim. */
  outputPerCore: number[];
}

/** Predicted bytes of one training step, by collective. */
export interface StepCost {
  forward: { allToAll: number; reduceScatter: number };
  backward: { allReduce: number; allToAll: number; allGather: number };
  total: number;
}

/**
 * Predicts the bytes one training step moves between cores (self-sends are free):
 * - replicated: no forward traffic; backward ring all-reduce of every dense table gradient,
 *   `2 (n-1) V D 4` bytes per table;
 * - table: ids all-to-all to the owner (`12` bytes per id off-owner), outputs all-to-all back
 *   (`B D 4` per core and feature off-owner), the same bytes again for the output gradients;
 * - column: ids to every other core holding columns, each returns its column slice of the output
 *   (`B D 4 (D - d_r)/D` into core r), the gradient slices go back the same way;
 * - row: ids to the row-block owner, partial outputs reduce-scattered (`(n-1) Σ_r B_r D 4` per
 *   feature, a ring over per-core blocks), output gradients all-gathered (the same bytes);
 * - mod: each core asks the owner (`id % n`) for the distinct rows it needs: `4` bytes per id,
 *   `D 4` bytes per row back, `D 4` per row gradient.
 *
 * @example
 * predictStepBytes('replicated', 2, [{ vocabularySize: 8, dim: 4 }], []).total; // 2*1*32*4 = 256
 */
export function predictStepBytes(
  mode: ShardingMode,
  numCores: number,
  tables: readonly { vocabularySize: number; dim: number }[],
  features: readonly FeatureTraffic[],
): StepCost {
  if (!Number.isInteger(numCores) || numCores < 1) {
    throw new InvalidArgumentError(`predictStepBytes: numCores must be an int >= 1, got ${show(numCores)}.`);
  }
  const n = numCores;
  const cost: StepCost = {
    forward: { allToAll: 0, reduceScatter: 0 },
    backward: { allReduce: 0, allToAll: 0, allGather: 0 },
    total: 0,
  };
  const layouts = tables.map((t, i) => new TableLayout(mode, n, t.vocabularySize, t.dim, i));
  if (mode === 'replicated') {
    for (const t of tables) cost.backward.allReduce += 2 * (n - 1) * t.vocabularySize * t.dim * FLOAT_BYTES;
  } else if (mode === 'mod') {
    tables.forEach((t, ti) => {
      for (let r = 0; r < n; r++) {
        const unique = new Set<number>();
        for (const f of features) if (f.table === ti) for (const id of f.idsPerCore[r]) unique.add(id);
        let off = 0;
        for (const id of unique) if (layouts[ti].owner(id) !== r) off++;
        cost.forward.allToAll += off * (FLOAT_BYTES + t.dim * FLOAT_BYTES);
        cost.backward.allToAll += off * t.dim * FLOAT_BYTES;
      }
    });
  } else {
    for (const f of features) {
      const l = layouts[f.table];
      const D = l.dim;
      for (let r = 0; r < n; r++) {
        const ids = f.idsPerCore[r];
        const out = f.outputPerCore[r];
        if (mode === 'table') {
          if (l.tableOwner !== r) {
            cost.forward.allToAll += ids.length * ID_RECORD_BYTES + out * FLOAT_BYTES;
            cost.backward.allToAll += out * FLOAT_BYTES;
          }
        } else if (mode === 'column') {
          for (let o = 0; o < n; o++) {
            if (o === r || l.colsOn(o) === 0) continue;
            const slice = (out / D) * l.colsOn(o) * FLOAT_BYTES;
            cost.forward.allToAll += ids.length * ID_RECORD_BYTES + slice;
            cost.backward.allToAll += slice;
          }
        } else {
          for (const id of ids) if (l.owner(id) !== r) cost.forward.allToAll += ID_RECORD_BYTES;
          cost.forward.reduceScatter += (n - 1) * out * FLOAT_BYTES;
          cost.backward.allGather += (n - 1) * out * FLOAT_BYTES;
        }
      }
    }
  }
  cost.total =
    cost.forward.allToAll +
    cost.forward.reduceScatter +
    cost.backward.allReduce +
    cost.backward.allToAll +
    cost.backward.allGather;
  return cost;
}
