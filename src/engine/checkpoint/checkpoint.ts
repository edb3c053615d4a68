// de.checkpoint: save / restore Variables and optimizers (slots, step counters and restrict
// status tables included) in the versioned, checksummed format of format.ts.
//
// Restore parses and checks the whole file and matches every target before it changes
// anything, then applies TFRA's replace semantics (clear, then insert).
import { InvalidArgumentError, show } from '../errors.js';
import type { KeyDtype, Keys } from '../tensor.js';
import { Optimizer } from '../train/optimizers/optimizer.js';
import { policyOf } from '../train/restrict.js';
import { globalStep, setGlobalStep } from '../train/step.js';
import { Variable } from '../variable.js';
import { ByteReader, ByteWriter, crc32, MAGIC, OLDEST_VERSION, VERSION } from './format.js';

/** What a checkpoint holds: Variables and optimizers. */
export type Checkpointable = Variable | Optimizer;

const DTYPES: KeyDtype[] = ['int32', 'int64', 'string'];
const KIND_TABLE = 1;
const KIND_OPTIMIZER = 2;

interface TableData {
  keyDtype: KeyDtype;
  dim: number;
  keys: Keys;
  values: Float32Array;
}

interface OptimizerData {
  className: string;
  iterations: number;
  config: string;
  tables: Map<string, TableData>;
}

function writeTable(w: ByteWriter, v: Variable): void {
  const { keys, values, dim } = v.export();
  w.u8(DTYPES.indexOf(v.keyDtype));
  w.u32(dim);
  w.u32(keys.length);
  if (keys instanceof Int32Array || keys instanceof BigInt64Array) w.array(keys);
  else for (const k of keys) w.string(k);
  w.array(values);
}

function readTable(r: ByteReader, what: string): TableData {
  const code = r.u8(`${what} key dtype`);
  if (code >= DTYPES.length) {
    throw new InvalidArgumentError(
      `checkpoint.restore: the checkpoint is corrupted: ${what} has key dtype code ${code}.`,
    );
  }
  const keyDtype = DTYPES[code];
  const dim = r.u32(`${what} dim`);
  const n = r.u32(`${what} key count`);
  let keys: Keys;
  if (keyDtype === 'int32') keys = new Int32Array(r.raw(n * 4, `${what} keys`).buffer);
  else if (keyDtype === 'int64') keys = new BigInt64Array(r.raw(n * 8, `${what} keys`).buffer);
  else {
    keys = [];
    for (let i = 0; i < n; i++) keys.push(r.string(`${what} key ${i}`));
  }
  const values = new Float32Array(r.raw(n * dim * 4, `${what} values`).buffer);
  return { keyDtype, dim, keys, values };
}

/** The tables a Variable contributes: itself and its restrict status table. */
function tablesOf(v: Variable): Variable[] {
  const p = policyOf(v);
  return p ? [v, p.status] : [v];
}

function checkTargets(objects: unknown, what: string): Checkpointable[] {
  if (!Array.isArray(objects) || objects.length === 0) {
    throw new InvalidArgumentError(
      `${what} expects a non-empty array of de.Variable and optimizers, got ${show(objects)}.`,
    );
  }
  const names = new Set<string>();
  objects.forEach((o, i) => {
    if (!(o instanceof Variable) && !(o instanceof Optimizer)) {
      throw new InvalidArgumentError(
        `${what}: item ${i} must be a de.Variable or a de.optimizers.* optimizer, got ${show(o)}.`,
      );
    }
    if (o instanceof Variable) {
      if (names.has(o.name))
        throw new InvalidArgumentError(`${what}: two Variables are named ${show(o.name)}; names must be unique.`);
      names.add(o.name);
    }
  });
  return objects as Checkpointable[];
}

/**
 * Saves Variables (with their restrict status tables) and optimizers (step counter,
 * hyper-parameters and every slot) into one self-describing, versioned, checksummed byte array.
 *
 * @example
 * const bytes = await de.checkpoint.save([userEmb, itemEmb, opt]);
 * await fs.writeFile('model.dynemb', bytes);
 */
export async function save(objects: Checkpointable[]): Promise<Uint8Array> {
  const targets = checkTargets(objects, 'checkpoint.save');
  const w = new ByteWriter();
  w.bytes(new TextEncoder().encode(MAGIC));
  w.u32(VERSION);
  w.f64(globalStep());
  const entries: (() => void)[] = [];
  for (const o of targets) {
    if (o instanceof Variable) {
      for (const t of tablesOf(o)) {
        entries.push(() => {
          w.u8(KIND_TABLE);
          w.string(t.name);
          writeTable(w, t);
        });
      }
    } else {
      entries.push(() => {
        w.u8(KIND_OPTIMIZER);
        w.string(o.className);
        w.string(o.className);
        w.f64(o.iterations);
        w.string(JSON.stringify(o.getConfig()));
        const slots = o.trainedVariables().flatMap((v) => o.slotVariables(v));
        w.u32(slots.length);
        for (const s of slots) {
          w.string(s.name);
          writeTable(w, s);
        }
      });
    }
  }
  w.u32(entries.length);
  for (const e of entries) e();
  return w.finish();
}

// A step counter read from a file: a checksum-valid file can still hold -1, NaN or 1.5 (a bug or
// a hand-made file); refused here, before anything is restored.
function counter(x: number, what: string): number {
  if (!Number.isSafeInteger(x) || x < 0) {
    throw new InvalidArgumentError(
      `checkpoint.restore: the checkpoint is corrupted: ${what} must be an integer >= 0, got ${show(x)}. Nothing was restored.`,
    );
  }
  return x;
}

function parse(bytes: Uint8Array): {
  version: number;
  step: number;
  tables: Map<string, TableData>;
  optimizers: OptimizerData[];
} {
  const min = MAGIC.length + 4 + 8 + 4 + 4;
  if (bytes.length < min) {
    throw new InvalidArgumentError(
      `checkpoint.restore: the checkpoint is truncated: expected at least ${min} bytes, got ${bytes.length}.`,
    );
  }
  const magic = new TextDecoder().decode(bytes.subarray(0, MAGIC.length));
  if (magic !== MAGIC) {
    throw new InvalidArgumentError(
      `checkpoint.restore: not a dynemb checkpoint: expected the header "${MAGIC}", got ${show(magic)}.`,
    );
  }
  const end = bytes.length - 4;
  const stored = new DataView(bytes.buffer, bytes.byteOffset + end, 4).getUint32(0, true);
  const actual = crc32(bytes.subarray(0, end));
  if (stored !== actual) {
    throw new InvalidArgumentError(
      `checkpoint.restore: the checkpoint is truncated or corrupted: its CRC-32 is ${actual.toString(16)}, the file says ${stored.toString(16)}. Nothing was restored.`,
    );
  }
  const r = new ByteReader(bytes, end);
  r.pos = MAGIC.length;
  const version = r.u32('the version');
  if (version < OLDEST_VERSION || version > VERSION) {
    throw new InvalidArgumentError(
      `checkpoint.restore: checkpoint format version ${version} is not supported; this engine reads versions ${OLDEST_VERSION} to ${VERSION}.`,
    );
  }
  const step = counter(r.f64('the global step'), 'the global step');
  const count = r.u32('the entry count');
  const tables = new Map<string, TableData>();
  const optimizers: OptimizerData[] = [];
  for (let i = 0; i < count; i++) {
    const kind = r.u8(`entry ${i} kind`);
    const name = r.string(`entry ${i} name`);
    if (kind === KIND_TABLE) tables.set(name, readTable(r, `table ${show(name)}`));
    else if (kind === KIND_OPTIMIZER) {
      const className = r.string('optimizer class');
      const iterations = counter(r.f64('optimizer iterations'), `optimizer ${show(className)}'s iterations`);
      const config = r.string('optimizer config');
      const n = r.u32('optimizer slot count');
      const slots = new Map<string, TableData>();
      for (let j = 0; j < n; j++) {
        const slotName = r.string('slot name');
        slots.set(slotName, readTable(r, `slot ${show(slotName)}`));
      }
      optimizers.push({ className, iterations, config, tables: slots });
    } else {
      throw new InvalidArgumentError(`checkpoint.restore: the checkpoint is corrupted: entry ${i} has kind ${kind}.`);
    }
  }
  if (r.pos !== end) {
    throw new InvalidArgumentError(
      `checkpoint.restore: the checkpoint is corrupted: ${end - r.pos} unexpected bytes after the last entry.`,
    );
  }
  return { version, step, tables, optimizers };
}

// Version 1 kept Momentum's slot as tfjs's accumulation `a`; Keras's velocity is `-lr a`.
function fromVersion1(o: Optimizer, slot: Variable, v: Variable, data: TableData): TableData {
  if (o.className !== 'Momentum' || slot.name !== `${v.name}/momentum`) return data;
  const lr = Math.fround(o.learningRate);
  return { ...data, values: data.values.map((a) => -lr * a) };
}

function matches(t: Variable, data: TableData | undefined, where: string): TableData {
  if (!data) {
    throw new InvalidArgumentError(
      `checkpoint.restore: ${where} holds no table named ${show(t.name)}. Nothing was restored.`,
    );
  }
  if (data.keyDtype !== t.keyDtype || data.dim !== t.dim) {
    throw new InvalidArgumentError(
      `checkpoint.restore: table ${show(t.name)} expects ${t.keyDtype} keys and dim ${t.dim}, the checkpoint holds ${data.keyDtype} keys and dim ${data.dim}. Nothing was restored.`,
    );
  }
  return data;
}

/**
 * Restores Variables and optimizers saved by {@link save}, with replace semantics (each table is
 * cleared, then the saved keys are inserted), as TFRA. Variables are matched by name, optimizers
 * by order and class. A truncated, corrupted or mismatched checkpoint is refused with a clear
 * error, and then nothing is changed.
 *
 * @example
 * await de.checkpoint.restore(bytes, [userEmb, itemEmb, opt]);
 */
export async function restore(bytes: Uint8Array, objects: Checkpointable[]): Promise<void> {
  if (!(bytes instanceof Uint8Array)) {
    throw new InvalidArgumentError(`checkpoint.restore expects the checkpoint as a Uint8Array, got ${show(bytes)}.`);
  }
  const targets = checkTargets(objects, 'checkpoint.restore');
  const file = parse(bytes);
  // match everything first
  const writes: { table: Variable; data: TableData }[] = [];
  const steps: { opt: Optimizer; iterations: number }[] = [];
  let nextOpt = 0;
  for (const o of targets) {
    if (o instanceof Variable) {
      for (const t of tablesOf(o))
        writes.push({ table: t, data: matches(t, file.tables.get(t.name), 'the checkpoint') });
      continue;
    }
    const saved = file.optimizers[nextOpt++];
    if (!saved || saved.className !== o.className) {
      throw new InvalidArgumentError(
        `checkpoint.restore: optimizer ${nextOpt} of the list is ${o.className}, the checkpoint holds ${saved ? saved.className : 'no more optimizers'} there. Nothing was restored.`,
      );
    }
    if (saved.config !== JSON.stringify(o.getConfig())) {
      throw new InvalidArgumentError(
        `checkpoint.restore: ${o.className} was saved with ${saved.config}, this one has ${JSON.stringify(o.getConfig())}; slots would not match. Nothing was restored.`,
      );
    }
    steps.push({ opt: o, iterations: saved.iterations });
    // slots of the Variables restored alongside (their names are `${variable}/${slot}`)
    for (const v of targets) {
      if (!(v instanceof Variable)) continue;
      const owned = [...saved.tables.keys()].some((n) => o.slotSpecs().some((s) => n === `${v.name}/${s.name}`));
      if (!owned) continue;
      for (const s of o.slotVariables(v)) {
        const data = matches(s, saved.tables.get(s.name), `the saved ${o.className}`);
        writes.push({ table: s, data: file.version < 2 ? fromVersion1(o, s, v, data) : data });
      }
    }
  }
  replaceAll(writes);
  for (const { opt, iterations } of steps) opt.setIterations(iterations);
  setGlobalStep(file.step);
}

// Replaces every table's rows (clear, then insert); if one runs out of memory midway, every table
// already replaced gets its own rows back, so a failed restore changes nothing.
function replaceAll(writes: { table: Variable; data: TableData }[]): void {
  const before = writes.map(({ table }) => table.export());
  let i = 0;
  try {
    for (; i < writes.length; i++) {
      const { table, data } = writes[i];
      table.clear();
      if (data.keys.length > 0) table.writeRows(data.keys, data.values);
    }
  } catch (e) {
    for (let j = 0; j <= i && j < writes.length; j++) {
      writes[j].table.clear();
      if (before[j].keys.length > 0) writes[j].table.writeRows(before[j].keys, before[j].values);
    }
    throw e;
  }
}
