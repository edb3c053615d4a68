// Batch: type ids (validated as you type, errors point at the character), generate them, or
// import a local feature log.
import { useId, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { NumberField, SelectField } from '../components/fields.js';
import { generateBatch, generatorFeatures } from '../../playground/batch/generate.js';
import { formatBatch, parseBatch, type BatchError } from '../../playground/batch/parse.js';
import { outputShape } from '../../playground/lookup/shape.js';
import { usePlayground } from '../store.js';
import { DISTRIBUTIONS, LIMITS } from '../../playground/workspace/index.js';
import { ImportSection } from '../import/ImportSection.js';
import { RunLookupButton } from './LookupPanel.js';

/** The offending line with a caret under the offending character. */
function ErrorPointer({ text, error, id }: { text: string; error: BatchError; id: string }) {
  const lines = text.split('\n');
  const line = lines[error.line - 1] ?? '';
  // Keep long lines readable: a window of 60 characters around the error.
  const from = Math.max(0, error.column - 1 - 30);
  const shown = line.slice(from, from + 60);
  return (
    <div id={id} className="parse-error" role="alert">
      <strong>
        Line {error.line}, column {error.column}:
      </strong>{' '}
      {error.message}
      <pre aria-hidden="true">
        {shown}
        {'\n'}
        {' '.repeat(error.column - 1 - from)}^
      </pre>
    </div>
  );
}

function GeneratorSection() {
  const { gen, features, tables, setGenerator, setBatchText } = usePlayground(
    useShallow((s) => ({
      gen: s.workspace.generator,
      features: s.workspace.features,
      tables: s.workspace.tables,
      setGenerator: s.setGenerator,
      setBatchText: s.setBatchText,
    })),
  );
  const [step, setStep] = useState(0);
  const generate = () => {
    const g = generateBatch(gen, generatorFeatures(features, tables), step);
    for (const f of features) {
      const gf = g.features[f.name];
      setBatchText(
        f.name,
        formatBatch({
          shape: gf.rowSplits ? [gf.shape[0]] : gf.shape,
          rowSplits: gf.rowSplits,
          ids: gf.ids,
          weights: gf.weights,
        }),
      );
    }
    setStep(step + 1);
  };
  return (
    <details className="sub">
      <summary>Generate batches</summary>
      <div className="form-grid">
        <SelectField
          label="Distribution"
          value={gen.distribution}
          options={DISTRIBUTIONS}
          labels={{ uniform: 'uniform', zipf: 'Zipf' }}
          onCommit={(distribution) => setGenerator({ distribution })}
        />
        {gen.distribution === 'zipf' && (
          <NumberField
            label="Zipf exponent s"
            value={gen.zipfExponent}
            min={0.1}
            max={4}
            onCommit={(zipfExponent) => setGenerator({ zipfExponent })}
          />
        )}
        <NumberField
          label="Vocabulary"
          value={gen.vocabulary}
          min={1}
          max={LIMITS.vocabulary}
          integer
          onCommit={(vocabulary) => setGenerator({ vocabulary })}
        />
        <NumberField
          label="Batch size"
          value={gen.batchSize}
          min={1}
          max={LIMITS.batchSize}
          integer
          onCommit={(batchSize) => setGenerator({ batchSize })}
        />
        <NumberField
          label="Ids per example"
          value={gen.idsPerExample}
          min={1}
          max={LIMITS.idsPerExample}
          integer
          onCommit={(idsPerExample) => setGenerator({ idsPerExample })}
        />
        <NumberField
          label="New-id rate"
          value={gen.newIdRate}
          min={0}
          max={1}
          step={0.01}
          onCommit={(newIdRate) => setGenerator({ newIdRate })}
        />
        <NumberField
          label="Generator seed"
          value={gen.seed}
          min={0}
          max={2 ** 31 - 1}
          integer
          onCommit={(seed) => setGenerator({ seed })}
        />
      </div>
      <p className="note">
        Ids: {gen.distribution === 'zipf' ? `Zipf, P(rank k) ∝ 1/k^${gen.zipfExponent}` : 'uniform'} over 0..
        {gen.vocabulary - 1}; new ids are numbered from {gen.vocabulary} up. Labels come from a hidden model: each id
        has a fixed random weight, and an example is positive with probability sigmoid(Σ weights).
      </p>
      <button type="button" onClick={generate}>
        Generate batch {step}
      </button>
    </details>
  );
}

export function BatchPanel() {
  const { features, tables, batchFeature, batches, setBatchFeature, setBatchText } = usePlayground(
    useShallow((s) => ({
      features: s.workspace.features,
      tables: s.workspace.tables,
      batches: s.workspace.batches,
      batchFeature: s.batchFeature,
      setBatchFeature: s.setBatchFeature,
      setBatchText: s.setBatchText,
    })),
  );
  const feature = features.find((f) => f.name === batchFeature) ?? features[0];
  const table = tables.find((t) => t.name === feature.table)!;
  const text = batches[feature.name] ?? '';
  // Checked against the feature's table while typing: a string id for an integer table points at it.
  const parsed = useMemo(
    () => parseBatch(text, { keyDtype: table.keyDtype, table: table.name }),
    [text, table.keyDtype, table.name],
  );
  const rule = parsed.ok ? outputShape(feature, parsed.batch, table.dim) : null;
  const idsId = useId();
  const errId = useId();
  return (
    <div>
      <div className="form-grid">
        <SelectField
          label="Feature"
          value={feature.name}
          options={features.map((f) => f.name)}
          onCommit={setBatchFeature}
        />
      </div>
      <div className="field">
        <label htmlFor={idsId}>Ids</label>
        <textarea
          id={idsId}
          className="ids"
          rows={4}
          spellCheck={false}
          autoComplete="off"
          value={text}
          maxLength={LIMITS.batchText}
          aria-invalid={!parsed.ok}
          aria-describedby={`${idsId}-help ${parsed.ok ? '' : errId}`}
          onChange={(e) => setBatchText(feature.name, e.target.value)}
        />
        <span id={`${idsId}-help`} className="note">
          Nested lists <code>[[15, 2], [4, 92]]</code>, ragged rows <code>[[1, 2, 3], [4]]</code>, weights{' '}
          <code>[[7:1.0, 8:0.5]]</code>, string ids <code>[[&quot;a&quot;, &quot;b&quot;]]</code>.
        </span>
      </div>
      {!parsed.ok && <ErrorPointer text={text} error={parsed.error} id={errId} />}
      {parsed.ok && (
        <p className="batch-summary">
          {parsed.batch.kind === 'ragged'
            ? `Ragged: ${parsed.batch.shape[0]} rows, ${parsed.batch.ids.length} ids`
            : `Shape [${parsed.batch.shape.join(', ')}], ${parsed.batch.ids.length} ids`}
          {parsed.batch.weights ? ', weighted' : ''} ({parsed.batch.idType === 'string' ? 'string' : 'integer'} ids).{' '}
          {rule && !rule.ok && <span className="field-error">{rule.message}</span>}
        </p>
      )}
      <RunLookupButton />
      <GeneratorSection />
      <ImportSection />
    </div>
  );
}
