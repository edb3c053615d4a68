// The Lookup inspector: a batch looked up through a feature with the engine's one feature-lookup
// op (de.featureLookup: TFRA Embedding / SquashedEmbedding, safe sparse lookup, or TensorX
// sequence Lookup), on the table's gather path (WASM, the WebGL mirror, or the worker pool); the
// output tensor, and for every id whether it was held (hit), missed, or inserted, its shard,
// worker, slot, row, vector and norm, as the engine reports them.
import * as de from '../../engine/index.js';
import type { GatherInfo, IdInfo, LookupReply, WorkerBatch, WorkerFeature, WorkerTable } from '../protocol.js';
import type { GatherChoices } from './gather.js';
import { isPooled, type TableRegistry } from './tables.js';

/**
 * The engine's feature spec for an inspected feature. Weights are only read by a sparse feature
 * (the Batch panel types them for any); a sparse feature without a combiner is pooled by mean.
 *
 * @example
 * featureSpecOf({ name: 'tags', input: 'ragged', op: 'sparse', combiner: 'none', maxSequenceLength: 0 }, undefined);
 * // { name: 'tags', input: 'ragged', combiner: 'mean', maxSequenceLength: 0, maxNorm: undefined }
 */
export function featureSpecOf(f: WorkerFeature, maxNorm: number | undefined): de.FeatureSpec {
  const combiner = f.op === 'sparse' && f.combiner === 'none' ? 'mean' : f.combiner;
  return { name: f.name, input: f.input, combiner, maxSequenceLength: f.maxSequenceLength, maxNorm };
}

/**
 * Looks a batch up through a feature in one of the session's tables.
 *
 * @example
 * const reply = await new Inspector(tables, gather).lookup(tableSpec, feature, batch);
 * reply.shape; // [3, 2, 8] for a [3, 2] batch of a dim-8 table (embedding)
 */
export class Inspector {
  constructor(
    private readonly tables: TableRegistry,
    private readonly gather: GatherChoices,
  ) {}

  /** The gather path this lookup takes, and why. */
  private async pathOf(t: WorkerTable, pooled: boolean): Promise<GatherInfo> {
    if (pooled) {
      return {
        asked: t.gather,
        used: 'wasm',
        reason: `this table is on the worker pool: its rows are gathered in WASM on the ${this.tables.poolWorkers} pool workers and assembled here`,
        fellBack: t.gather !== 'wasm',
      };
    }
    const gather = await this.gather.choose(t.gather);
    // The GPU mirror serves reads of stored rows: a lookup that inserts runs the WASM path.
    if (gather.used === 'webgl' && t.insertOnLookup) {
      return {
        ...gather,
        used: 'wasm',
        fellBack: true,
        reason:
          'this table inserts on lookup, which the read-only GPU mirror cannot do, so this lookup gathers in WASM',
      };
    }
    return gather;
  }

  async lookup(t: WorkerTable, f: WorkerFeature, b: WorkerBatch): Promise<LookupReply> {
    const t0 = performance.now();
    const v = await this.tables.variableFor(t);
    const pooled = isPooled(v);
    const gather = await this.pathOf(t, pooled);
    const spec = featureSpecOf(f, t.maxNorm > 0 ? t.maxNorm : undefined);
    const batch: de.FeatureBatch = {
      ids: b.ids as de.Id[],
      shape: b.shape,
      rowSplits: b.rowSplits,
      weights: f.op === 'sparse' ? b.weights : null,
    };
    const gpu = !pooled && gather.used === 'webgl' ? new de.gpu.GpuGather(v) : null;
    let r: de.FeatureLookupResult;
    try {
      r = await de.featureLookupAsync(gpu ?? v, spec, batch, { provenance: true });
    } finally {
      gpu?.dispose();
    }
    const output = (await r.output.data()) as Float32Array;
    const shape = r.output.shape.slice();
    r.output.dispose();
    const ids: IdInfo[] = r.provenance!.map((p, i) => ({
      id: typeof b.ids[i] === 'string' ? JSON.stringify(b.ids[i]) : String(b.ids[i]),
      status: p.status,
      shard: p.shard,
      worker: p.worker,
      slot: p.slot,
      row: p.row,
      vector: p.vector,
      norm: p.norm,
      clipped: p.clipped,
    }));
    return {
      feature: f.name,
      table: t.name,
      engineCall: r.call,
      shape,
      output,
      ids,
      tableSize: await v.size(),
      insertOnLookup: !pooled && v.insertOnLookup,
      gather,
      poolWorkers: pooled ? this.tables.poolWorkers : null,
      ms: performance.now() - t0,
    };
  }
}
