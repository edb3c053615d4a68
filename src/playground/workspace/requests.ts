// From the workspace to what the session is asked: a table spec as the session's WorkerTable, a
// feature as the inspector reads it, a parsed batch as plain data, and the model's inputs. Pure:
// the page and Node tests build their requests with the same functions.
import type { ParsedBatch } from '../batch/parse.js';
import { lookupOp } from '../lookup/shape.js';
import type { ModelSettings, TrainFeature, WorkerBatch, WorkerFeature, WorkerTable } from '../protocol.js';
import type { FeatureSpec, TableSpec, Workspace } from './schema.js';

/**
 * The session's view of a table spec (plain data).
 *
 * @example
 * toWorkerTable(defaultTable()).placement; // 'in-process'
 */
export function toWorkerTable(t: TableSpec): WorkerTable {
  return {
    name: t.name,
    dim: t.dim,
    keyDtype: t.keyDtype,
    initializer: t.initializer,
    initScale: t.initScale,
    initSeed: t.initSeed,
    partitions: t.partitions,
    maxNorm: t.maxNorm,
    optimizer: t.optimizer,
    learningRate: t.learningRate,
    restrictPolicy: t.restrictPolicy,
    restrictLimit: t.restrictLimit,
    insertOnLookup: t.insertOnLookup,
    gather: t.gather,
    placement: t.placement,
  };
}

/**
 * A feature as the inspector reads it: the engine op its input kind and combiner name.
 *
 * @example
 * toWorkerFeature(defaultFeature()).op; // 'embedding'
 */
export function toWorkerFeature(f: FeatureSpec): WorkerFeature {
  return {
    name: f.name,
    input: f.input,
    op: lookupOp(f),
    combiner: f.combiner,
    maxSequenceLength: f.maxSequenceLength,
  };
}

/**
 * A parsed batch as the session takes it.
 *
 * @example
 * toWorkerBatch(parsed.batch).shape; // [3, 2] for '[[15, 2], [4, 92], [22, 4]]'
 */
export function toWorkerBatch(b: ParsedBatch): WorkerBatch {
  return { shape: b.shape, rowSplits: b.rowSplits, ids: b.ids, weights: b.weights };
}

/**
 * What trainConfigure / trainRestore take for a workspace: the tables its features read, its
 * features and the model settings.
 *
 * @example
 * const { tables, features, config } = trainingInputs(defaultWorkspace());
 * await session.trainConfigure(tables, features, config);
 */
export function trainingInputs(w: Workspace): {
  tables: WorkerTable[];
  features: TrainFeature[];
  config: ModelSettings;
} {
  const features: TrainFeature[] = w.features.map((f) => ({
    name: f.name,
    table: f.table,
    input: f.input,
    combiner: f.combiner,
    maxSequenceLength: f.maxSequenceLength,
    weights: f.weights,
  }));
  return {
    tables: w.tables.filter((t) => features.some((f) => f.table === t.name)).map(toWorkerTable),
    features,
    config: {
      generator: w.generator,
      seed: w.training.seed,
      model: w.training.model,
      itemFeatures: w.training.itemFeatures,
    },
  };
}
