// One worker slot of the pool: the worker running in it now, the calls pending on it, and what
// its next respawn restores. A slot has at most one worker and at most one respawn loop at a
// time; the generation, bumped at every death, tells stale workers and calls from current ones.
import type { Remote } from 'comlink';
import type { PoolWorkerFailedError } from './errors.js';
import type { HostApi } from './protocol.js';
import type { WorkerHandle } from './spawn.js';

/** Captured synchronously when a worker dies; run against the new worker to restore its state. */
export type RestoreTask = (host: Remote<HostApi>) => Promise<void>;
/** Registered by tables: given the index of a dead worker, returns how to restore its shards. */
export type RestoreHook = (worker: number) => RestoreTask | undefined;

/** A call sent to a worker and not answered yet. */
export interface PendingCall {
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  what: string;
  mutation: boolean;
}

/** One worker slot. */
export interface Slot {
  handle: WorkerHandle | undefined;
  remote: Remote<HostApi> | undefined;
  /** Bumped at every death; a call submitted in an older generation is not sent to the new worker. */
  generation: number;
  /** Resolves when the current worker is started and restored; rejects once the slot has failed. */
  ready: Promise<void>;
  pending: Map<number, PendingCall>;
  /** What the next start restores: captured at the latest death (it supersedes earlier ones). */
  tasks: RestoreTask[];
  /** A respawn loop runs for this slot (there is never more than one). */
  respawning: boolean;
  /** When the slot's worker died, within the restart window. */
  deathTimes: number[];
  /** Set when the worker kept dying: no more restarts, every call rejects with it. */
  failed: PoolWorkerFailedError | undefined;
}

/**
 * An empty slot, ready for its first worker.
 *
 * @example
 * const slots = Array.from({ length: 4 }, newSlot);
 */
export function newSlot(): Slot {
  return {
    handle: undefined,
    remote: undefined,
    generation: 0,
    ready: Promise.resolve(),
    pending: new Map(),
    tasks: [],
    respawning: false,
    deathTimes: [],
    failed: undefined,
  };
}

/**
 * Records a death at `now` and says whether the slot is still within its restart budget
 * (at most `max` deaths within `windowMs`).
 *
 * @example
 * if (!recordDeath(slot, Date.now(), 5, 10_000)) fail(slot);
 */
export function recordDeath(slot: Slot, now: number, max: number, windowMs: number): boolean {
  slot.deathTimes = slot.deathTimes.filter((t) => now - t < windowMs);
  slot.deathTimes.push(now);
  return slot.deathTimes.length <= max;
}

/**
 * `p`, with its rejection marked as handled: awaiters still see it, Node never reports it as unhandled.
 *
 * @example
 * slot.ready = quiet(Promise.reject(error));
 */
export function quiet(p: Promise<void>): Promise<void> {
  p.catch(() => undefined);
  return p;
}
