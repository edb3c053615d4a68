// Loading the WebAssembly kernels and owning one instance's memory.
//
// The kernels are embedded as base64 (src/engine/generated/kernels.ts) so the same code
// loads them in Node, a page and a worker. `ready()` compiles once per process; every
// WasmHeap is its own instance (its own memory), so one table's growth never detaches
// another table's views.
import { InvalidArgumentError, OutOfMemoryError } from './errors.js';
import { KERNELS_SCALAR_BASE64, KERNELS_SIMD_BASE64 } from './generated/kernels.js';

/** The functions every kernel build exports. Pointers are byte offsets into `memory`. */
export interface KernelExports {
  memory: WebAssembly.Memory;
  alloc(size: number): number;
  free(ptr: number): void;
  blockSize(ptr: number): number;
  allocatedBytes(): number;
  setMemoryLimit(pages: number): void;
  memoryLimit(): number;
  simdBuild(): number;
  gatherRows(
    matrix: number,
    numRows: number,
    dim: number,
    rows: number,
    n: number,
    out: number,
    maxNorm: number,
  ): number;
  rowNorms(matrix: number, n: number, dim: number, out: number): void;
  // the fused public lookup (src/wasm/lookup.ts)
  lookupRows(
    tables: number,
    nTables: number,
    shards: number,
    mode: number,
    keys: number,
    aux: number,
    n: number,
    addrs: number,
    exists: number,
    scratch: number,
  ): number;
  lookupCopyRows(addrs: number, n: number, out: number, dim: number, maxNorm: number): void;
  // optimizer updates (src/wasm/optimizers.ts): w, s0..s2 are u32 row-pointer arrays, g is [n, dim]
  sgdUpdate(w: number, g: number, n: number, dim: number, lr: number, maxNorm: number): void;
  momentumUpdate(
    w: number,
    s0: number,
    g: number,
    n: number,
    dim: number,
    lr: number,
    momentum: number,
    nesterov: number,
    maxNorm: number,
  ): void;
  adagradUpdate(
    w: number,
    s0: number,
    g: number,
    n: number,
    dim: number,
    lr: number,
    epsilon: number,
    maxNorm: number,
  ): void;
  adamUpdate(
    w: number,
    s0: number,
    s1: number,
    s2: number,
    g: number,
    n: number,
    dim: number,
    alpha: number,
    oneMinusB1: number,
    oneMinusB2: number,
    epsilon: number,
    amsgrad: number,
    maxNorm: number,
  ): void;
  rmspropUpdate(
    w: number,
    s0: number,
    s1: number,
    s2: number,
    g: number,
    n: number,
    dim: number,
    lr: number,
    rho: number,
    oneMinusRho: number,
    momentum: number,
    epsilon: number,
    centered: number,
    maxNorm: number,
  ): void;
  ftrlUpdate(
    w: number,
    s0: number,
    s1: number,
    g: number,
    n: number,
    dim: number,
    lr: number,
    power: number,
    l1: number,
    twoL2Adj: number,
    twoL2Shrinkage: number,
    maxNorm: number,
  ): void;
  rowPointers(out: number, base: number, stride: number, n: number): void;
  // hash tables (src/wasm/hashtable.ts); key mode 0: i32 keys, 1: i64 keys, 2: strings
  // (n+1 i32 offsets at `keys` into UTF-8 bytes at `aux`). Negative results: -1 out of memory,
  // -2 capacity limit; nothing changed then.
  hashBytes(ptr: number, len: number): bigint;
  copyBytes(dst: number, src: number, bytes: number): void;
  hashStrings(offsets: number, bytes: number, n: number, out: number): void;
  tableCreate(mode: number, dim: number, meta: number, initCapacity: number, maxLoad: number): number;
  tableDestroy(t: number): void;
  tableClear(t: number): void;
  tableField(t: number, offset: number): number;
  tableFind(
    t: number,
    mode: number,
    keys: number,
    aux: number,
    n: number,
    outRows: number,
    exists: number,
    scratch: number,
  ): number;
  /** Bytes of the `scratch` of tableFind / tableGather that let a batch of n keys probe in group order. */
  tableOrderScratchBytes(n: number): number;
  tableGather(
    t: number,
    mode: number,
    keys: number,
    aux: number,
    n: number,
    out: number,
    maxNorm: number,
    exists: number,
    tmp: number,
    scratch: number,
  ): number;
  tableFindOrInsert(
    t: number,
    mode: number,
    keys: number,
    aux: number,
    n: number,
    outRows: number,
    inserted: number,
    tmp: number,
  ): number;
  tableUpsert(t: number, mode: number, keys: number, aux: number, n: number, values: number, tmp: number): number;
  tableScatterAdd(t: number, mode: number, keys: number, aux: number, n: number, deltas: number, tmp: number): number;
  tableAccum(
    t: number,
    mode: number,
    keys: number,
    aux: number,
    n: number,
    oldValues: number,
    newValues: number,
    exists: number,
    tmp: number,
  ): number;
  tableRemove(t: number, mode: number, keys: number, aux: number, n: number): number;
  tableExport(t: number, outKeys: number, keyWidth: number, outValues: number): number;
  tableRowNorms(t: number, mode: number, keys: number, aux: number, n: number, out: number): void;
  tableGatherRows(t: number, rows: number, n: number, out: number, maxNorm: number, tmp: number): number;
  tableRowPointers(t: number, rows: number, n: number, out: number): number;
  tableWriteRows(t: number, rows: number, n: number, values: number): number;
  tableTouch(t: number, mode: number, keys: number, aux: number, n: number, step: number): number;
  tableMetadata(t: number, mode: number, keys: number, aux: number, n: number, outStep: number, outCount: number): void;
  tableProbeHistogram(t: number, hist: number, buckets: number): void;
  tableInspect(t: number, outCtrl: number, outRows: number): void;
}

export type WasmFlavour = 'simd' | 'scalar';

// The smallest module that uses a v128 instruction: (func (result v128) v128.const 0 ... ).
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 11,
]);

/** True when this host's WebAssembly supports fixed-width SIMD (v128). */
export function hostSupportsSimd(): boolean {
  try {
    return WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const modules = new Map<WasmFlavour, Promise<WebAssembly.Module>>();
const compiled = new Map<WasmFlavour, WebAssembly.Module>();
let defaultFlavour: WasmFlavour | undefined;

/** Compiles (once) the kernel module of one flavour. */
export function compileKernels(flavour: WasmFlavour): Promise<WebAssembly.Module> {
  let p = modules.get(flavour);
  if (!p) {
    if (flavour === 'simd' && !hostSupportsSimd()) {
      return Promise.reject(
        new InvalidArgumentError(
          'The SIMD kernels were requested, but this host has no WebAssembly SIMD; use "scalar".',
        ),
      );
    }
    const bytes = decodeBase64(flavour === 'simd' ? KERNELS_SIMD_BASE64 : KERNELS_SCALAR_BASE64);
    p = WebAssembly.compile(bytes).then((m) => {
      compiled.set(flavour, m);
      return m;
    });
    modules.set(flavour, p);
  }
  return p;
}

/** Options for {@link ready}. */
export interface ReadyOptions {
  /** Force a kernel build; default: 'simd' where the host supports it, else 'scalar'. */
  wasm?: WasmFlavour;
}

/**
 * Compiles the WASM kernels: the SIMD build if the host supports it, the scalar one otherwise.
 * Call (and await) once before creating tables.
 *
 * @example
 * await de.ready();
 * de.backendInfo().wasm; // 'simd' on Node 20 and current browsers
 */
export async function ready(options: ReadyOptions = {}): Promise<void> {
  const want = options.wasm ?? defaultFlavour ?? (hostSupportsSimd() ? 'simd' : 'scalar');
  if (want !== 'simd' && want !== 'scalar') {
    throw new InvalidArgumentError(`ready({ wasm }) expects 'simd' or 'scalar', got ${JSON.stringify(want)}.`);
  }
  await compileKernels(want);
  defaultFlavour = want;
}

/** The kernel flavour new heaps use, or undefined before {@link ready}. */
export function activeFlavour(): WasmFlavour | undefined {
  return defaultFlavour;
}

/** The compiled module of a flavour, for sending to workers; undefined until compiled. */
export function compiledModule(flavour: WasmFlavour): WebAssembly.Module | undefined {
  return compiled.get(flavour);
}

/** Installs an already compiled module (a worker receives it from the page). */
export function adoptModule(flavour: WasmFlavour, module: WebAssembly.Module): void {
  compiled.set(flavour, module);
  modules.set(flavour, Promise.resolve(module));
  defaultFlavour = flavour;
}

/** The largest single allocation: 4 GiB of linear memory less the heap's own bookkeeping. */
const MAX_ALLOC_BYTES = 2 ** 32 - 2 ** 17;

/**
 * One instance of the kernels with its own linear memory, and typed-array views over it
 * that are re-created whenever the memory has grown (growth detaches old views).
 */
export class WasmHeap {
  readonly flavour: WasmFlavour;
  readonly exports: KernelExports;
  private buffer: ArrayBuffer;
  private _u8: Uint8Array;
  private _i32: Int32Array;
  private _f32: Float32Array;
  private _i64: BigInt64Array;

  constructor(options: { flavour?: WasmFlavour; maxMemoryBytes?: number } = {}) {
    const flavour = options.flavour ?? defaultFlavour;
    const module = flavour && compiled.get(flavour);
    if (!flavour || !module) {
      throw new InvalidArgumentError(
        `The WASM kernels are not loaded${flavour ? ` (${flavour})` : ''}: await de.ready() before creating tables.`,
      );
    }
    this.flavour = flavour;
    const instance = new WebAssembly.Instance(module, {
      env: {
        abort: (_msg: number, _file: number, line: number, col: number) => {
          throw new Error(`dynemb kernel abort at ${line}:${col}`);
        },
      },
    });
    this.exports = instance.exports as unknown as KernelExports;
    if (options.maxMemoryBytes !== undefined) {
      this.exports.setMemoryLimit(Math.max(1, Math.floor(options.maxMemoryBytes / 65536)));
    }
    this.buffer = this.exports.memory.buffer;
    this._u8 = new Uint8Array(this.buffer);
    this._i32 = new Int32Array(this.buffer);
    this._f32 = new Float32Array(this.buffer);
    this._i64 = new BigInt64Array(this.buffer);
  }

  private refresh(): void {
    const buf = this.exports.memory.buffer;
    if (buf !== this.buffer) {
      this.buffer = buf;
      this._u8 = new Uint8Array(buf);
      this._i32 = new Int32Array(buf);
      this._f32 = new Float32Array(buf);
      this._i64 = new BigInt64Array(buf);
    }
  }

  get u8(): Uint8Array {
    this.refresh();
    return this._u8;
  }
  get i32(): Int32Array {
    this.refresh();
    return this._i32;
  }
  get f32(): Float32Array {
    this.refresh();
    return this._f32;
  }
  get i64(): BigInt64Array {
    this.refresh();
    return this._i64;
  }

  /** Bytes of linear memory this instance holds. */
  get memoryBytes(): number {
    return this.exports.memory.buffer.byteLength;
  }

  /** Allocates `bytes` (16-byte aligned) or throws OutOfMemoryError; nothing else changes on failure. */
  alloc(bytes: number, what = 'a buffer'): number {
    // Addresses are unsigned 32-bit: a size past what the memory can address would wrap in the
    // call (ToInt32), so it is refused here; the pointer comes back as i32 and is read unsigned.
    const ptr = bytes >= 0 && bytes <= MAX_ALLOC_BYTES ? this.exports.alloc(bytes) >>> 0 : 0;
    if (ptr === 0) {
      throw new OutOfMemoryError(
        `Could not allocate ${bytes} bytes for ${what}: the WebAssembly memory cannot grow beyond ${this.exports.memoryLimit() * 64} KiB (it holds ${this.memoryBytes} bytes). The operation was not applied.`,
      );
    }
    return ptr;
  }

  free(ptr: number): void {
    this.exports.free(ptr);
  }
}

/**
 * A reusable scratch allocation inside a heap that grows on demand (freed and re-allocated
 * when too small), for copying call inputs into WASM memory without allocating each call.
 */
export class Scratch {
  private ptr = 0;
  private cap = 0;
  constructor(private readonly heap: WasmHeap) {}

  /** A pointer to at least `bytes` bytes; valid until the next `get` on this scratch. */
  get(bytes: number): number {
    if (bytes > this.cap) {
      const want = Math.max(bytes, this.cap * 2, 256);
      // doubling amortises growth; when the double does not fit, the exact size still may
      let ptr: number;
      try {
        ptr = this.heap.alloc(want, 'call scratch space');
      } catch (e) {
        if (want === bytes) throw e;
        ptr = this.heap.alloc(bytes, 'call scratch space');
      }
      if (this.ptr) this.heap.free(this.ptr);
      this.ptr = ptr;
      this.cap = this.heap.exports.blockSize(ptr) >>> 0;
    }
    return this.ptr;
  }
}
