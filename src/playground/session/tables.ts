// The session's table registry: every table of the workspace as a live engine table, in-process
// (de.Variable) or on the worker pool (de.pool.PooledVariable), created from the page's spec and
// recreated (empty) only when a field fixed at creation changes or the page empties it on
// purpose (a confirmed discard). The pool starts lazily, the first time a table is placed on it.
import * as de from '../../engine/index.js';
import type { FreshRequest, WorkerTable } from '../protocol.js';
import { creationKey } from '../workspace/discard.js';
import { poolSize } from '../workspace/placement.js';

/** A table in the session (in-process) or on the pool. */
export type AnyVariable = de.Variable | de.pool.PooledVariable;

/** A held table: its creation key, the table (once ready), and how ids route to its shards. */
export interface Held {
  key: string;
  ready: Promise<AnyVariable>;
  /** Set once `ready` resolved. */
  value: AnyVariable | null;
  /** The options the table was created with (the Code panel's downloads copy pooled tables with them). */
  options: de.VariableOptions;
  /**
   * Pooled tables: an empty in-process Variable with the same options, used only to parse ids
   * and route keys to shards exactly as the pooled Variable does (de.Variable.shardOf).
   */
  router: de.Variable | null;
}

/** How the session reaches the worker pool. */
export interface PoolOptions {
  /** How pool workers start (the browser passes de.pool.browserSpawner(); Node's default otherwise). */
  spawn?: de.pool.Spawner;
  /** Logical cores here (navigator.hardwareConcurrency): the pool gets min(cores, 4), at least 2. */
  hardwareConcurrency?: number;
}

/** True for a table on the worker pool. */
export function isPooled(v: AnyVariable): v is de.pool.PooledVariable {
  return v instanceof de.pool.PooledVariable;
}

function initializerOf(t: WorkerTable): de.initializers.Initializer {
  const I = de.initializers;
  switch (t.initializer) {
    case 'zeros':
      return I.zeros();
    case 'constant':
      return I.constant(t.initScale);
    case 'randomNormal':
      return I.randomNormal({ mean: 0, stddev: t.initScale, seed: t.initSeed });
    case 'randomUniform':
      return I.randomUniform({ minval: -Math.abs(t.initScale), maxval: Math.abs(t.initScale), seed: t.initSeed });
    case 'truncatedNormal':
      return I.truncatedNormal({ mean: 0, stddev: t.initScale, seed: t.initSeed });
    case 'glorotUniform':
      return I.glorotUniform({ seed: t.initSeed });
  }
}

/**
 * The de.Variable options a table spec creates.
 *
 * @example
 * variableOptions(spec).initializer; // de.initializers.randomNormal({ stddev: spec.initScale, ... })
 */
export function variableOptions(t: WorkerTable): de.VariableOptions {
  return {
    name: t.name,
    dim: t.dim,
    keyDtype: t.keyDtype,
    initializer: initializerOf(t),
    partitions: t.partitions,
    restrictPolicy:
      t.restrictPolicy === 'timestamp'
        ? de.TimestampRestrictPolicy
        : t.restrictPolicy === 'frequency'
          ? de.FrequencyRestrictPolicy
          : undefined,
    insertOnLookup: t.insertOnLookup,
  };
}

/**
 * The tables of one session, by name.
 *
 * @example
 * const tables = new TableRegistry();
 * const v = await tables.variableFor(spec); // created empty, or the one already held
 */
export class TableRegistry {
  private readonly held = new Map<string, Held>();
  private pool: Promise<de.pool.WorkerPool> | null = null;
  /** Workers in the pool (0 until it starts). */
  poolWorkers = 0;
  private freshApplied = 0;

  constructor(private readonly poolOptions: PoolOptions = {}) {}

  /** The worker pool, started once, lazily, the first time a table is placed on it. */
  private workerPool(): Promise<de.pool.WorkerPool> {
    if (!this.pool) {
      this.poolWorkers = poolSize(this.poolOptions.hardwareConcurrency);
      const spawn = this.poolOptions.spawn;
      this.pool = de.pool.WorkerPool.create(spawn ? { size: this.poolWorkers, spawn } : { size: this.poolWorkers });
      this.pool.catch(() => {
        this.pool = null;
      });
    }
    return this.pool;
  }

  private disposeHeld(h: Held): void {
    h.router?.dispose();
    void h.ready.then(
      (v) => v.dispose(),
      () => undefined,
    );
  }

  /** The held record of a table, if any. */
  get(name: string): Held | undefined {
    return this.held.get(name);
  }

  /** Every held table, by name. */
  entries(): IterableIterator<[string, Held]> {
    return this.held.entries();
  }

  /** The held table's Variable (resolved); throws when it is not ready. */
  current(name: string): AnyVariable {
    const h = this.held.get(name);
    if (!h?.value) throw new Error(`Table ${name} is not ready yet.`);
    return h.value;
  }

  /** The held table for a spec, recreated (empty) when a field fixed at creation changed. */
  heldFor(t: WorkerTable): Held {
    const key = creationKey(t);
    const old = this.held.get(t.name);
    if (old && old.key === key) return old;
    const options = variableOptions(t);
    if (t.placement === 'workers' && options.insertOnLookup) {
      throw new Error(
        `Table ${t.name}: insert on lookup cannot be used with placement on the worker pool (a pooled lookup is read-only).`,
      );
    }
    if (old) this.disposeHeld(old);
    let h: Held;
    if (t.placement === 'workers') {
      const ready = this.workerPool().then((p) => de.pool.placeVariable(p, options));
      h = { key, ready, value: null, options, router: new de.Variable({ ...options, initCapacity: t.partitions }) };
    } else {
      const v = new de.Variable(options);
      h = { key, ready: Promise.resolve(v), value: v, options, router: null };
    }
    h.ready.then(
      (v) => {
        h.value = v;
      },
      () => {
        if (this.held.get(t.name) === h) this.held.delete(t.name);
      },
    );
    this.held.set(t.name, h);
    return h;
  }

  /** The table for a spec, once it is ready. */
  variableFor(t: WorkerTable): Promise<AnyVariable> {
    return this.heldFor(t).ready;
  }

  /** The keys each held (ready) table holds now. */
  async sizes(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const [name, h] of this.held) if (h.value) out[name] = await h.value.size();
    return out;
  }

  /** Drops the tables not named in `specs`; creates the others; returns each one's size. */
  async sync(specs: WorkerTable[]): Promise<Record<string, number>> {
    const names = new Set(specs.map((s) => s.name));
    for (const [name, h] of this.held) {
      if (!names.has(name)) {
        this.disposeHeld(h);
        this.held.delete(name);
      }
    }
    const sizes: Record<string, number> = {};
    for (const s of specs) sizes[s.name] = await (await this.variableFor(s)).size();
    return sizes;
  }

  /**
   * Empties the tables the page emptied on purpose (each request once, by whichever call arrives
   * first); returns whether any held table was dropped (the model reading it must be rebuilt).
   */
  applyFresh(requests: FreshRequest[]): boolean {
    let dropped = false;
    for (const f of requests) {
      if (f.id <= this.freshApplied) continue;
      this.freshApplied = f.id;
      for (const name of f.names) {
        const h = this.held.get(name);
        if (!h) continue;
        this.disposeHeld(h);
        this.held.delete(name);
        dropped = true;
      }
    }
    return dropped;
  }

  /** Frees every table and stops the pool. */
  async dispose(): Promise<void> {
    for (const h of this.held.values()) this.disposeHeld(h);
    this.held.clear();
    const pool = this.pool;
    this.pool = null;
    if (pool)
      await pool.then(
        (p) => p.terminate(),
        () => undefined,
      );
  }
}
