// The feature-log importer's worker: reads and types a CSV / JSONL file off the main thread and
// keeps its rows here; the page gets summaries, a page of columns at a time and batch texts.
// Cancel is the page terminating this worker (instant, even inside one long parse).
import { expose } from 'comlink';
import { type ImportApi, ImportSession } from '../src/playground/import/session.js';

const session = new ImportSession();

const api: ImportApi = {
  open: (file, name, onProgress) => session.open(file, name, { onProgress }),
  columns: (offset, count, filter) => session.columns(offset, count, filter),
  retype: (index, type) => session.retype(index, type),
  suggestRoles: (features) => session.suggestRoles(features),
  build: (mapping, targets) => session.build(mapping, targets),
  batchTexts: (from, n, maxChars) => session.batchTexts(from, n, maxChars),
  logJson: () => session.logJson(),
};

expose(api);
