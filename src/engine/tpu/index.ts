// The Virtual TPU: TPUEmbeddingV0 on simulated cores, and sharded layouts beyond it.
// Exposed as `de.tpu` (src/engine/index.ts: `export * as tpu from './tpu/index.js'`): what API.md and
// the README document, and the types their signatures name. The machinery under it (the ring
// collectives, the per-core work and its executors, the lookup stages, the step's passes) stays
// internal; its tests import those modules directly.

export type { GlobalBatch, StepFn } from './batch.js';
export type {
  CollectiveFault,
  CollectiveKind,
  CollectiveRecord,
  CommStats,
  RingMessage,
  RingPhase,
  RingStepReport,
  StepComm,
} from './collectives.js';
export type { Combiner, FeatureConfigOptions, TableConfigOptions, TableInitializer } from './config.js';
export { FeatureConfig, TableConfig } from './config.js';
export type { FeatureConfigStructure, LookupOutput, TableShard, TPUEmbeddingV0Options } from './embedding.js';
export { TPUEmbeddingV0 } from './embedding.js';
export type { Execution } from './execution.js';
export type { FeatureInput, InputKind, RaggedLike, SparseLike, WeightInput } from './inputs.js';
export type { AdagradOptions, AdamOptions, CommonOptimizerOptions, FTRLOptions, SlotSpec } from './optimizers.js';
export { Adagrad, Adam, FTRL, SGD, TPUEmbeddingOptimizer } from './optimizers.js';
export type { RingStepEvent, RunHooks } from './ring-hooks.js';
export type { FeatureTraffic, ShardingMode, StepCost } from './sharding.js';
export { predictStepBytes, SHARDING_MODES } from './sharding.js';
export type { ActiveFault, RunContext, VirtualTPUStrategyOptions } from './strategy.js';
export { VirtualTPUStrategy } from './strategy.js';
