// The Virtual TPU: TPUEmbeddingV0 on simulated cores, and sharded layouts beyond it.
// Exposed as `de.tpu` (src/engine/index.ts: `export * as tpu from './tpu/index.js'`).

export type {
  CollectiveFault,
  CollectiveKind,
  CollectiveRecord,
  CommStats,
  RingMessage,
  RingOptions,
  RingPhase,
  RingStepReport,
  StepComm,
} from './collectives.js';
export { CommLog, evenChunks, RingCollective, ringAllReduce } from './collectives.js';
export type {
  CoreTable,
  CoreWork,
  CoreWorkResult,
  GatherJob,
  OptimizerSpec,
  PlacedTable,
  TpuCoreRequest,
  TpuCoreResponse,
} from './core.js';
export { gatherBackward, gatherForward, optimizerFromSpec, optimizerSpec, runCoreWork, TpuCoreHost } from './core.js';
export type { CoreExecutor, Execution } from './execution.js';
export { EXECUTIONS } from './execution.js';
export type { Combiner, FeatureConfigOptions, TableConfigOptions, TableInitializer } from './config.js';
export { FeatureConfig, initialTableValues, TableConfig } from './config.js';
export type { FeatureConfigStructure, LookupOutput, TableShard, TPUEmbeddingV0Options } from './embedding.js';
export { TPUEmbeddingV0 } from './embedding.js';
export type { FeatureInput, InputKind, RaggedLike, SparseLike, WeightInput } from './inputs.js';
export type { PreparedFeature } from './lookup.js';
export { prepareFeature, stageA, stageB } from './lookup.js';
export type { AdagradOptions, AdamOptions, CommonOptimizerOptions, FTRLOptions, SlotSpec } from './optimizers.js';
export { Adagrad, Adam, FTRL, SGD, TPUEmbeddingOptimizer } from './optimizers.js';
export type { FeatureTraffic, ShardingMode, StepCost } from './sharding.js';
export { FLOAT_BYTES, ID_RECORD_BYTES, predictStepBytes, SHARDING_MODES, TableLayout } from './sharding.js';
export type { CoreResult, GlobalBatch, RingStepEvent, RunHooks, StepFn } from './step.js';
export { coreForwardBackward, splitBatch } from './step.js';
export type { ActiveFault, RunContext, VirtualTPUStrategyOptions } from './strategy.js';
export { VirtualTPUStrategy } from './strategy.js';
