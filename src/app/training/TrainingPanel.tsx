// Training: Play / Pause / Step / Step back / Reset, speed and seed, over the worker's default
// model. The step counter and the last loss are read from the metrics ring on animation frames.
import { useEffect, useRef } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { CheckField, NumberField, SelectField } from '../components/fields.js';
import { usePlayground } from '../store.js';
import { MODELS, POOLED_REPLAY_MAX } from '../../playground/workspace/index.js';
import './training.css';
import { pause, play, reset, restoreTraining, stepBack, stepOnce } from './controller.js';
import { metrics, useMetricsFrame } from './metrics.js';
import { planModel } from '../../playground/training/model.js';

function Readout() {
  useMetricsFrame(100);
  const last = metrics.steps.at(-1);
  const loss = last && last.step === metrics.step ? last.loss : undefined;
  return (
    <p className="train-readout" aria-live="off">
      Step <strong data-testid="train-step">{metrics.step}</strong>
      {' · '}loss <strong data-testid="train-loss">{loss === undefined ? '–' : loss.toFixed(4)}</strong>
      {last &&
        Object.entries(last.tables).map(([name, t]) => (
          <span key={name}>
            {' · '}
            {name}: {t.size.toLocaleString('en')} keys, hit rate {(t.hitRate * 100).toFixed(0)}%
          </span>
        ))}
    </p>
  );
}

export function TrainingPanel() {
  const { phase, busy, error, training, setTraining, worker, features, tables, log } = usePlayground(
    useShallow((s) => ({
      phase: s.trainPhase,
      busy: s.trainBusy,
      error: s.trainError,
      training: s.workspace.training,
      setTraining: s.setTraining,
      worker: s.worker.phase,
      features: s.workspace.features,
      tables: s.workspace.tables,
      log: s.importTraining,
    })),
  );
  useEffect(() => {
    // The trained state saved before a reload comes back (then the model follows the workspace).
    void restoreTraining();
  }, []);
  const playing = phase === 'playing';
  // Play and Pause disable themselves when pressed: focus moves to the other, never to the page.
  const playRef = useRef<HTMLButtonElement>(null);
  const pauseRef = useRef<HTMLButtonElement>(null);
  const handoff = useRef<'play' | 'pause' | null>(null);
  useEffect(() => {
    if (handoff.current === 'pause' && playing) pauseRef.current?.focus();
    else if (handoff.current === 'play' && !playing) playRef.current?.focus();
    else return;
    handoff.current = null;
  }, [playing]);
  const down = worker === 'error';
  // Step back restores keyframe checkpoints, which a table on the worker pool does not have.
  const pooledUsed = tables
    .filter((t) => t.placement === 'workers' && features.some((f) => f.table === t.name))
    .map((t) => t.name);
  const optimizers = [...new Set(features.map((f) => f.table))].map((name) => {
    const t = tables.find((x) => x.name === name);
    return t ? `${name}: ${t.optimizer}, lr ${t.learningRate}` : name;
  });
  const plan = planModel(training.model, training.itemFeatures, features, tables);
  // The item tower as chosen (an empty choice means the last feature, as planModel reads it).
  const chosen = training.itemFeatures.filter((n) => features.some((f) => f.name === n));
  const itemSet = new Set(chosen.length > 0 ? chosen : features.slice(-1).map((f) => f.name));
  return (
    <div>
      {pooledUsed.length > 0 && (
        <p className="note" data-testid="stepback-pooled">
          {pooledUsed.join(', ')} {pooledUsed.length === 1 ? 'is' : 'are'} on the worker pool, which keeps no keyframe
          checkpoints: Step back resets and replays the batches (deterministic) from step 0, up to {POOLED_REPLAY_MAX}{' '}
          steps, and not past a reload. A reload keeps the pooled rows, optimizer slots and restrict status.
        </p>
      )}
      <div className="form-grid">
        <SelectField
          label="Model"
          value={training.model}
          options={MODELS}
          labels={{ logistic: 'logistic regression', twoTower: 'two-tower (user · item)' }}
          onCommit={(model) => setTraining({ model })}
        />
      </div>
      {training.model === 'twoTower' && features.length > 1 && (
        <fieldset className="towers">
          <legend>Item tower features (the rest form the user tower)</legend>
          {features.map((f) => (
            <CheckField
              key={f.name}
              label={f.name}
              value={itemSet.has(f.name)}
              onCommit={(on) => {
                const next = features.map((x) => x.name).filter((n) => (n === f.name ? on : itemSet.has(n)));
                setTraining({ itemFeatures: next });
              }}
            />
          ))}
        </fieldset>
      )}
      {plan.ok ? (
        <div className="note">
          <p>
            Model: {plan.summary}; binary cross-entropy on{' '}
            {log
              ? `the label column of the imported log ${log.name} (${log.rows.toLocaleString('en')} rows; batch n is rows n·B … of the log, wrapping around; Batch panel → Import)`
              : "the generator's 0/1 labels (Batch panel → Generate)"}
            , trained with <code>de.train.step</code> in the worker. Optimizers: {optimizers.join('; ')} (the dense head
            uses the first).
          </p>
          <p data-testid="keep-rows-note">
            Changing a learning rate, optimizer, maxNorm, restrict limit, feature, generator or seed starts the model
            over at step 0 from the rows the tables hold (kept); Reset empties the trained tables.
          </p>
          <ul className="plan" aria-label="How each feature is read">
            {plan.features.map((f) => (
              <li key={f.name}>
                <strong>{f.name}</strong>
                {f.tower && <> ({f.tower} tower)</>}: {f.call}
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <p className="field-error" role="alert">
          This model cannot be trained: {plan.message}
        </p>
      )}
      <div className="train-buttons" role="group" aria-label="Training controls">
        <button
          type="button"
          ref={playRef}
          onClick={() => {
            handoff.current = 'pause';
            void play();
          }}
          disabled={down || playing || !plan.ok}
        >
          Play
        </button>
        <button
          type="button"
          ref={pauseRef}
          onClick={() => {
            handoff.current = 'play';
            pause();
          }}
          disabled={!playing}
        >
          Pause
        </button>
        {/* While a worker call runs these wait (aria-disabled) but stay focusable, so focus is not lost. */}
        <button
          type="button"
          onClick={() => !busy && void stepOnce()}
          disabled={down || playing || !plan.ok}
          aria-disabled={busy}
        >
          Step
        </button>
        <button type="button" onClick={() => !busy && void stepBack()} disabled={down || playing} aria-disabled={busy}>
          Step back
        </button>
        <button type="button" onClick={() => !busy && void reset()} disabled={down} aria-disabled={busy}>
          Reset
        </button>
      </div>
      <div className="form-grid">
        <NumberField
          label="Speed (steps/s)"
          value={training.speed}
          min={0.5}
          max={60}
          onCommit={(speed) => setTraining({ speed })}
        />
        <NumberField
          label="Seed (model head)"
          value={training.seed}
          min={0}
          max={2 ** 31 - 1}
          integer
          onCommit={(seed) => setTraining({ seed })}
          hint="Seeds the head's initial weights; the batches follow the generator's seed. Changing it starts the model over at step 0 (the tables keep their rows)."
        />
      </div>
      <Readout />
      <p className="muted">
        {playing ? 'Training…' : phase === 'paused' ? 'Paused.' : 'Ready.'} Step back restores the last keyframe
        checkpoint (one every 10 steps, <code>de.checkpoint.save</code>) and replays the batches, which are a pure
        function of the seed and the step: the state is exactly the one before the last step. Changing the tables,
        features or generator starts the model over at step 0 (from the rows kept). The trained tables (in-process and
        on the worker pool) and the step are saved in this browser: a reload continues from them.
      </p>
      {error && plan.ok && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
