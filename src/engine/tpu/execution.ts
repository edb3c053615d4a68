// Where the simulated cores run. 'in-process': each core's work runs on the host, on the tables the
// TPUEmbeddingV0 holds. 'workers': core c lives on pool worker c mod (pool size), which holds its
// tables and slots and runs its forward, backward and optimizer update; the host keeps a mirror
// (refreshed from every update) for checksums, embeddingTables and the UI, and re-places cores from
// it when a worker is restarted. Both run the same functions (core.ts), so results are bit-identical.
import { InvalidArgumentError, RuntimeError, show } from '../errors.js';
import type { WorkerPool } from '../pool/pool.js';
import {
  type CoreTable,
  type CoreWork,
  type CoreWorkResult,
  optimizerSpec,
  type PlacedTable,
  runCoreWork,
  type TpuCoreRequest,
  type TpuCoreResponse,
} from './core.js';
import type { TPUEmbeddingV0 } from './embedding.js';

/** Where the cores run. */
export type Execution = 'in-process' | 'workers';
/** Every execution, in the order the UI lists them. */
export const EXECUTIONS: readonly Execution[] = ['in-process', 'workers'];

/** Runs the cores' work; the step code (step.ts) talks to the cores only through this. */
export interface CoreExecutor {
  readonly execution: Execution;
  /** Makes every core ready to run (workers: places the tables that are not placed yet). */
  prepare(embeddings: readonly TPUEmbeddingV0[]): Promise<void>;
  /** Runs one call of core `core`'s work. Tables are numbered across embeddings in order. */
  work(core: number, work: CoreWork): Promise<CoreWorkResult>;
  /** The host changed the tables (resync): cores must be placed again before they run. */
  invalidate(): void;
  /** Releases what the cores hold (workers: drops them; terminates a pool the strategy created). */
  dispose(): Promise<void>;
}

/** `[emb, table]` for each core-table index, in order. */
function tableIndex(embeddings: readonly TPUEmbeddingV0[]): { emb: TPUEmbeddingV0; ti: number }[] {
  return embeddings.flatMap((emb) => emb.tables.map((_, ti) => ({ emb, ti })));
}

function coreTables(embeddings: readonly TPUEmbeddingV0[], core: number): CoreTable[] {
  return tableIndex(embeddings).map(({ emb, ti }) => {
    const l = emb.layout(ti);
    const sh = emb.shard(core, ti);
    return {
      rows: l.rowsOn(core),
      cols: l.colsOn(core),
      params: sh.params,
      slots: sh.slots,
      optimizer: emb.optimizerFor(emb.tables[ti]) ?? null,
    };
  });
}

/** The cores run on the host, on the TPUEmbeddingV0's own arrays. */
export class InProcessCores implements CoreExecutor {
  readonly execution = 'in-process' as const;
  private embeddings: readonly TPUEmbeddingV0[] = [];

  async prepare(embeddings: readonly TPUEmbeddingV0[]): Promise<void> {
    this.embeddings = embeddings;
  }

  async work(core: number, work: CoreWork): Promise<CoreWorkResult> {
    return runCoreWork(coreTables(this.embeddings, core), work);
  }

  invalidate(): void {}

  async dispose(): Promise<void> {}
}

let nextStrategyId = 1;

/** The cores run on a WorkerPool: core c on worker c mod size. */
export class WorkerCores implements CoreExecutor {
  readonly execution = 'workers' as const;
  /** This strategy's id on the workers. */
  readonly id = nextStrategyId++;
  private pool: WorkerPool | undefined;
  private creating: Promise<WorkerPool> | undefined;
  private embeddings: readonly TPUEmbeddingV0[] = [];
  /** The shard arrays the workers were placed from (a rebuilt TPUEmbeddingV0 must be placed again). */
  private placedFrom: Float32Array[] = [];
  private removeHook: (() => void) | undefined;
  private disposed = false;

  constructor(
    readonly numCores: number,
    pool: WorkerPool | undefined,
    private readonly createPool: (() => Promise<WorkerPool>) | undefined,
  ) {
    this.pool = pool;
  }

  /** The pool, once there is one. */
  get workerPool(): WorkerPool | undefined {
    return this.pool;
  }

  /** Worker that holds core `core`. */
  workerOf(core: number): number {
    if (!this.pool) throw new RuntimeError('The cores are not placed on a pool yet.');
    return core % this.pool.size;
  }

  private async ensurePool(): Promise<WorkerPool> {
    if (this.disposed) throw new RuntimeError("VirtualTPUStrategy: the strategy's workers were disposed.");
    if (this.pool) return this.pool;
    if (!this.createPool) throw new RuntimeError('VirtualTPUStrategy: no worker pool to run the cores on.');
    this.creating ??= this.createPool();
    this.pool = await this.creating;
    return this.pool;
  }

  private placement(core: number): PlacedTable[] {
    return tableIndex(this.embeddings).map(({ emb, ti }) => {
      const l = emb.layout(ti);
      const sh = emb.shard(core, ti);
      const opt = emb.optimizerFor(emb.tables[ti]);
      return {
        rows: l.rowsOn(core),
        cols: l.colsOn(core),
        params: sh.params,
        slots: sh.slots,
        optimizer: opt ? optimizerSpec(opt) : null,
      };
    });
  }

  private async request(pool: WorkerPool, core: number, req: TpuCoreRequest): Promise<TpuCoreResponse> {
    return pool.call(core % pool.size, 'tpuCore', [req]);
  }

  async prepare(embeddings: readonly TPUEmbeddingV0[]): Promise<void> {
    const pool = await this.ensurePool();
    if (pool.isTerminated) throw new RuntimeError('VirtualTPUStrategy: its worker pool was terminated.');
    const from = tableIndex(embeddings).map(({ emb, ti }) => emb.shard(0, ti).params);
    const same =
      embeddings === this.embeddings &&
      from.length === this.placedFrom.length &&
      from.every((a, i) => a === this.placedFrom[i]);
    if (same) return;
    this.embeddings = embeddings;
    // Check every optimizer can travel before anything is placed.
    const placements = Array.from({ length: this.numCores }, (_, c) => this.placement(c));
    await Promise.all(
      placements.map((tables, core) => this.request(pool, core, { kind: 'place', strategy: this.id, core, tables })),
    );
    this.placedFrom = from;
    if (!this.removeHook) {
      // A restarted worker gets its cores back from the host mirror (as of the last update).
      this.removeHook = pool.addRestoreHook((worker) => {
        if (this.placedFrom.length === 0) return undefined;
        const cores = Array.from({ length: this.numCores }, (_, c) => c).filter((c) => c % pool.size === worker);
        const reqs: TpuCoreRequest[] = cores.map((core) => ({
          kind: 'place',
          strategy: this.id,
          core,
          tables: this.placement(core).map((t) => ({
            ...t,
            params: Float32Array.from(t.params),
            slots: t.slots.map((s) => Float32Array.from(s)),
          })),
        }));
        return async (host) => {
          for (const r of reqs) await host.tpuCore(r);
        };
      });
    }
  }

  async work(core: number, work: CoreWork): Promise<CoreWorkResult> {
    const pool = await this.ensurePool();
    if (this.placedFrom.length === 0) throw new RuntimeError('The cores must be placed (prepare) before they run.');
    const res = await this.request(pool, core, { kind: 'work', strategy: this.id, core, work });
    if (res.kind !== 'work') throw new RuntimeError(`tpuCore answered ${show(res.kind)} to a work request.`);
    if (res.result.op === 'apply') {
      // Keep the host mirror equal to what the core now holds: copy back the rows it wrote.
      const index = tableIndex(this.embeddings);
      for (const t of res.result.tables) {
        const { emb, ti } = index[t.table];
        const cols = emb.layout(ti).colsOn(core);
        const sh = emb.shard(core, ti);
        t.rows.forEach((r, i) => {
          sh.params.set(t.values.subarray(i * cols, (i + 1) * cols), r * cols);
          sh.slots.forEach((s, k) => {
            s.set(t.slots[k].subarray(i * cols, (i + 1) * cols), r * cols);
          });
        });
      }
    }
    return res.result;
  }

  /**
   * Every core's tables and slots as the workers hold them, in the order of the mirror's
   * `coreArrays` (tests compare the two).
   */
  async readCores(): Promise<Float32Array[][]> {
    const pool = await this.ensurePool();
    const out: Float32Array[][] = [];
    for (let core = 0; core < this.numCores; core++) {
      const res = await this.request(pool, core, { kind: 'read', strategy: this.id, core });
      if (res.kind !== 'read') throw new RuntimeError(`tpuCore answered ${show(res.kind)} to a read request.`);
      out.push(res.tables.flatMap((t) => [t.params, ...t.slots]));
    }
    return out;
  }

  invalidate(): void {
    this.placedFrom = [];
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.removeHook?.();
    const pool = this.pool;
    if (!pool || pool.isTerminated) return;
    if (this.createPool) {
      await pool.terminate();
      return;
    }
    await Promise.all(
      Array.from({ length: Math.min(pool.size, this.numCores) }, (_, w) =>
        pool.call(w, 'tpuCore', [{ kind: 'drop', strategy: this.id }]),
      ),
    );
  }
}

/** Checks the `execution` / `pool` options of VirtualTPUStrategy. */
export function checkExecution(execution: unknown, pool: unknown, isPool: (p: unknown) => boolean): Execution {
  if (!EXECUTIONS.includes(execution as Execution)) {
    throw new InvalidArgumentError(
      `VirtualTPUStrategy: execution must be one of ${EXECUTIONS.map((m) => `'${m}'`).join(', ')}, got ${show(execution)}.`,
    );
  }
  if (pool !== undefined) {
    if (execution !== 'workers') {
      throw new InvalidArgumentError(
        `VirtualTPUStrategy: a pool is only used with execution 'workers', got execution ${show(execution)} and a pool.`,
      );
    }
    if (!isPool(pool)) {
      throw new InvalidArgumentError(`VirtualTPUStrategy: pool must be a de.pool.WorkerPool, got ${show(pool)}.`);
    }
  }
  return execution as Execution;
}
