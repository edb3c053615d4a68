// Errors of the worker pool.
import { DynembError } from '../errors.js';

/**
 * A pool worker died (crashed, was killed or terminated) while a call was pending. `applied`
 * says whether the call's effect survives: a mutation is written to the recovery log before it
 * is sent, so the restored worker holds it (do not retry); a read did not happen (retry it).
 *
 * @example
 * try { await table.gather(keys); } catch (e) { if (e instanceof WorkerDiedError && !e.applied) retry(); }
 */
export class WorkerDiedError extends DynembError {
  constructor(
    message: string,
    readonly worker: number,
    readonly applied: boolean,
  ) {
    super(message);
  }
}

/**
 * A pool call did not answer within its timeout. The worker is treated as hung: it is
 * terminated, respawned and restored, as after a crash.
 *
 * @example
 * const pool = await WorkerPool.create({ callTimeoutMs: 5000 });
 */
export class PoolTimeoutError extends WorkerDiedError {}

/** The pool was terminated; no calls are accepted. */
export class PoolTerminatedError extends DynembError {}

/**
 * A pool worker kept dying (more than `maxRestarts` deaths within `restartWindowMs`, or its
 * restore failed three times): it is not restarted again, and calls to it reject with this error.
 * The other workers serve on; create a new pool to use the failed worker's shards again.
 *
 * @example
 * await pool.whenReady().catch((e) => { if (e instanceof PoolWorkerFailedError) console.log(e.worker); });
 */
export class PoolWorkerFailedError extends DynembError {
  constructor(
    message: string,
    readonly worker: number,
  ) {
    super(message);
  }
}
