// Labelled form controls. Each keeps the text being typed locally and commits to the store
// only a value that is valid, so the workspace (and so the URL and the save) is never invalid.
import { useEffect, useId, useState } from 'react';

export function NumberField({
  label,
  value,
  min,
  max,
  step,
  integer,
  onCommit,
  hint,
}: {
  label: string;
  value: number;
  min: number;
  max: number;
  step?: number;
  integer?: boolean;
  onCommit(v: number): void;
  hint?: string;
}) {
  const id = useId();
  const [text, setText] = useState(String(value));
  useEffect(() => setText(String(value)), [value]);
  const n = Number(text);
  const valid = text.trim() !== '' && Number.isFinite(n) && n >= min && n <= max && (!integer || Number.isInteger(n));
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="number"
        inputMode={integer ? 'numeric' : 'decimal'}
        value={text}
        min={min}
        max={max}
        step={step ?? (integer ? 1 : 'any')}
        aria-invalid={!valid}
        aria-describedby={!valid ? `${id}-err` : undefined}
        title={hint}
        onChange={(e) => {
          setText(e.target.value);
          const v = Number(e.target.value);
          if (
            e.target.value.trim() !== '' &&
            Number.isFinite(v) &&
            v >= min &&
            v <= max &&
            (!integer || Number.isInteger(v))
          ) {
            if (v !== value) onCommit(v);
          }
        }}
        onBlur={() => {
          if (!valid) setText(String(value));
        }}
      />
      {!valid && (
        <span id={`${id}-err`} className="field-error" role="alert">
          {integer ? 'An integer' : 'A number'} from {min} to {max}
        </span>
      )}
    </div>
  );
}

export function SelectField<T extends string>({
  label,
  value,
  options,
  onCommit,
  labels,
}: {
  label: string;
  value: T;
  options: readonly T[];
  onCommit(v: T): void;
  labels?: Partial<Record<T, string>>;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onCommit(e.target.value as T)}>
        {options.map((o) => (
          <option key={o} value={o}>
            {labels?.[o] ?? o}
          </option>
        ))}
      </select>
    </div>
  );
}

export function TextNameField({
  label,
  value,
  taken,
  onCommit,
}: {
  label: string;
  value: string;
  taken: readonly string[];
  onCommit(v: string): void;
}) {
  const id = useId();
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  const problem = !/^[A-Za-z_][A-Za-z0-9_]*$/.test(text)
    ? 'Letters, digits and _, not starting with a digit'
    : text.length > 40
      ? 'At most 40 characters'
      : text !== value && taken.includes(text)
        ? 'This name is taken'
        : null;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="text"
        value={text}
        spellCheck={false}
        autoComplete="off"
        aria-invalid={problem !== null}
        aria-describedby={problem ? `${id}-err` : undefined}
        onChange={(e) => setText(e.target.value)}
        onBlur={() => {
          if (problem === null && text !== value) onCommit(text);
          else if (problem !== null) setText(value);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && problem === null && text !== value) onCommit(text);
        }}
      />
      {problem && (
        <span id={`${id}-err`} className="field-error" role="alert">
          {problem}
        </span>
      )}
    </div>
  );
}

export function CheckField({ label, value, onCommit }: { label: string; value: boolean; onCommit(v: boolean): void }) {
  const id = useId();
  return (
    <div className="field field-check">
      <input id={id} type="checkbox" checked={value} onChange={(e) => onCommit(e.target.checked)} />
      <label htmlFor={id}>{label}</label>
    </div>
  );
}
