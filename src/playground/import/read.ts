// Reading a log file (any Blob: a File in a worker, a Blob in Node) in chunks into a RawTable,
// reporting progress after each chunk and stopping at the first chunk after an abort.
import { CsvChunkParser } from './csv.js';
import { JsonlChunkParser } from './jsonl.js';
import type { RawTable } from './rawTable.js';

export type LogFormat = 'csv' | 'tsv' | 'jsonl';

/** Thrown when a read is cancelled. */
export class ImportCancelled extends Error {
  override name = 'ImportCancelled';
  constructor() {
    super('The import was cancelled.');
  }
}

/**
 * The format a file's name (and its first characters) say: `.jsonl` / `.ndjson` / `.json`, or a
 * first character `{`, is JSONL; `.tsv` is tab-separated; anything else is CSV.
 *
 * @example
 * formatOf('clicks.jsonl', ''); // 'jsonl'
 */
export function formatOf(name: string, head: string): LogFormat {
  if (/\.(jsonl|ndjson|json)$/i.test(name)) return 'jsonl';
  if (/\.tsv$/i.test(name)) return 'tsv';
  return /^\uFEFF?\s*\{/.test(head) ? 'jsonl' : 'csv';
}

export interface ReadOptions {
  /** Bytes per chunk (default 1 MiB). */
  chunkBytes?: number;
  /** Called after each chunk with the bytes read so far and the file's size. */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  signal?: AbortSignal;
}

/**
 * Reads a CSV / TSV / JSONL log in chunks into a {@link RawTable}.
 *
 * @example
 * const t = await readLog(new Blob(['a,b\n1,"x, y"\n']), 'csv');
 * t.rows; // [['1', 'x, y']]
 */
export async function readLog(blob: Blob, format: LogFormat, options: ReadOptions = {}): Promise<RawTable> {
  const chunk = Math.max(1, options.chunkBytes ?? 1 << 20);
  const parser = format === 'jsonl' ? new JsonlChunkParser() : new CsvChunkParser(format === 'tsv' ? '\t' : ',');
  const decoder = new TextDecoder('utf-8');
  for (let pos = 0; pos < blob.size; pos += chunk) {
    if (options.signal?.aborted) throw new ImportCancelled();
    const end = Math.min(blob.size, pos + chunk);
    parser.push(decoder.decode(await blob.slice(pos, end).arrayBuffer(), { stream: end < blob.size }));
    options.onProgress?.(end, blob.size);
  }
  if (options.signal?.aborted) throw new ImportCancelled();
  parser.push(decoder.decode());
  return parser.end();
}
