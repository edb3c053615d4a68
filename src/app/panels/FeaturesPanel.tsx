// Features: each maps an input to a table; several features may share one table.
import { useShallow } from 'zustand/react/shallow';
import { CheckField, NumberField, SelectField, TextNameField } from '../components/fields.js';
import { OP_LABEL, lookupOp } from '../../playground/lookup/shape.js';
import { usePlayground } from '../store.js';
import { COMBINERS, type FeatureSpec, INPUT_KINDS, LIMITS } from '../../playground/workspace/index.js';

function FeatureCard({
  index,
  feature,
  names,
  tables,
}: {
  index: number;
  feature: FeatureSpec;
  names: string[];
  tables: string[];
}) {
  const { updateFeature, removeFeature, features } = usePlayground(
    useShallow((s) => ({
      updateFeature: s.updateFeature,
      removeFeature: s.removeFeature,
      features: s.workspace.features,
    })),
  );
  const count = features.length;
  const sharing = features.filter((f) => f.table === feature.table && f.name !== feature.name).map((f) => f.name);
  const set = (patch: Partial<FeatureSpec>) => updateFeature(index, patch);
  return (
    <fieldset className="card" aria-label={`Feature ${feature.name}`}>
      <legend>{feature.name}</legend>
      <div className="form-grid">
        <TextNameField label="Name" value={feature.name} taken={names} onCommit={(name) => set({ name })} />
        <SelectField label="Table" value={feature.table} options={tables} onCommit={(table) => set({ table })} />
        <SelectField
          label="Input kind"
          value={feature.input}
          options={INPUT_KINDS}
          onCommit={(input) => set({ input })}
        />
        <SelectField
          label="Combiner"
          value={feature.combiner}
          options={COMBINERS}
          labels={{ none: 'none (per-id vectors)' }}
          onCommit={(combiner) => set({ combiner })}
        />
        <NumberField
          label="Max sequence length (0 = off)"
          value={feature.maxSequenceLength}
          min={0}
          max={LIMITS.maxSequenceLength}
          integer
          onCommit={(maxSequenceLength) => set({ maxSequenceLength })}
        />
        <CheckField label="Weights (id:weight)" value={feature.weights} onCommit={(weights) => set({ weights })} />
      </div>
      <p className="note">
        Looked up with <code>{OP_LABEL[lookupOp(feature)]}</code>
        {sharing.length > 0 && (
          <>
            ; shares <code>{feature.table}</code> with {sharing.join(', ')}
          </>
        )}
        .
      </p>
      <div className="actions">
        <button type="button" disabled={count <= 1} onClick={() => removeFeature(index)}>
          Delete {feature.name}
        </button>
      </div>
    </fieldset>
  );
}

export function FeaturesPanel() {
  const { features, tables, addFeature } = usePlayground(
    useShallow((s) => ({ features: s.workspace.features, tables: s.workspace.tables, addFeature: s.addFeature })),
  );
  const names = features.map((f) => f.name);
  const tableNames = tables.map((t) => t.name);
  return (
    <div>
      {features.map((f, i) => (
        <FeatureCard key={`${i}-${f.name}`} index={i} feature={f} names={names} tables={tableNames} />
      ))}
      <button type="button" onClick={addFeature} disabled={features.length >= LIMITS.features}>
        Add feature
      </button>
    </div>
  );
}
