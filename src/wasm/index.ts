// Entry point of the dynemb WebAssembly kernels. Built twice by scripts/build-wasm.mjs:
// with --enable simd (kernels.simd.wasm) and without (kernels.scalar.wasm).
export { alloc, free, blockSize, allocatedBytes, setMemoryLimit, memoryLimit } from './alloc';
export { gatherRows, rowNorms } from './rows';
export { lookupCopyRows, lookupRows } from './lookup';
export { adagradUpdate, adamUpdate, ftrlUpdate, momentumUpdate, rmspropUpdate, rowPointers, sgdUpdate } from './optimizers';
export {
  copyBytes,
  hashBytes,
  hashStrings,
  tableAccum,
  tableClear,
  tableCreate,
  tableDestroy,
  tableExport,
  tableField,
  tableFind,
  tableFindOrInsert,
  tableGather,
  tableGatherRows,
  tableInspect,
  tableMetadata,
  tableOrderScratchBytes,
  tableProbeHistogram,
  tableRemove,
  tableRowNorms,
  tableRowPointers,
  tableScatterAdd,
  tableTouch,
  tableUpsert,
  tableWriteRows,
} from './hashtable';

/** 1 when this build uses v128 instructions, 0 for the scalar build. */
export function simdBuild(): i32 {
  return ASC_FEATURE_SIMD ? 1 : 0;
}
