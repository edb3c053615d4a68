// The Code panel's downloads for a trained model: the checkpoint (tables, restrict status,
// optimizers), each table's .npy files (and the optimizer slot rows training created) and the TFRA
// script. de.checkpoint and de.interop read in-process Variables, so with a table on the worker
// pool every trained table and the optimizers are first copied in-process (pooled-export.ts);
// the copies are freed afterwards.
import * as de from '../../engine/index.js';
import type { ExportedFiles, TrainTable } from '../protocol.js';
import type { PlannedFeature } from './model.js';
import { makeOptimizer } from './optimizers.js';
import { disposeCopy, inProcessCopy } from './pooled-export.js';

/** What a model exports: its features, optimizer groups and tables. */
export interface ExportSource {
  features: PlannedFeature[];
  /** Tables sharing one optimizer; `settings`: the first table's (the optimizer kind and rate). */
  groups: { opt: de.optimizers.Optimizer; tables: string[]; settings: TrainTable }[];
  variable(name: string): de.Variable | de.pool.PooledVariable;
  /** The options each table was created with; needed to copy a pooled table in-process. */
  options?: (name: string) => de.VariableOptions;
}

/**
 * The checkpoint, the .npy files and the TFRA script of a model's trained tables.
 *
 * @example
 * const { checkpoint, npy, python } = await exportModel(source);
 * Object.keys(npy); // ['user_emb-keys.npy', 'user_emb-values.npy', ...]
 */
export async function exportModel(src: ExportSource): Promise<ExportedFiles> {
  const real = src.groups.map((g) => g.opt);
  const names = src.groups.flatMap((g) => g.tables);
  const variables = names.map((n) => src.variable(n));
  const pooled = variables.some((v) => v instanceof de.pool.PooledVariable);
  const opts = pooled
    ? src.groups.map((g) => {
        const o = makeOptimizer(g.settings.optimizer, g.settings.learningRate);
        o.setIterations(g.opt.iterations);
        return o;
      })
    : real;
  const copied: de.Variable[] = [];
  try {
    if (pooled) {
      const optionsOf = src.options;
      if (!optionsOf) {
        throw new Error(
          `Exporting tables on the worker pool needs the options they were created with (to copy them in-process); this model was built without them.`,
        );
      }
      for (const [i, v] of variables.entries()) copied.push(await inProcessCopy(v, optionsOf(names[i]), real, opts));
    }
    const vars = pooled ? copied : (variables as de.Variable[]);
    // By table name (a Variable's own name may differ).
    const byName = new Map(vars.map((v, i) => [names[i], v]));
    const checkpoint = await de.checkpoint.save([...vars, ...opts]);
    const npy: Record<string, Uint8Array> = {};
    for (const v of vars) Object.assign(npy, de.interop.toNpy(v));
    // The slot rows too, for the script's restore_slots(): only slots training created (trainedVariables
    // has no side effect, where getSlot would create empty slots for an untrained table).
    for (const o of opts) {
      for (const v of o.trainedVariables()) {
        if (vars.includes(v)) for (const slot of o.slotVariables(v)) Object.assign(npy, de.interop.toNpy(slot));
      }
    }
    const features: Record<string, de.interop.TfraFeature> = {};
    for (const f of src.features) {
      features[f.name] = {
        variable: byName.get(f.table)!,
        combiner: f.combiner === 'none' ? 'mean' : f.combiner,
      };
    }
    // Each table with its own optimizer (one TFRA DynamicEmbeddingOptimizer per group, as here).
    const python = de.interop.toTfraPython({
      variables: vars,
      features,
      optimizers: src.groups.map((g, i) => ({
        optimizer: opts[i],
        variables: g.tables.map((n) => byName.get(n)!),
      })),
    });
    return { checkpoint, npy, python };
  } finally {
    for (const c of copied) disposeCopy(c, opts);
  }
}
