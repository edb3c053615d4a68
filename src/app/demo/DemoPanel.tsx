// The live recommender demo: a synthetic world of users, items and clicks generated from a seed,
// a matrix-factorisation model with dynamic user and item tables trained live in a Web Worker,
// recall@10 on held-out clicks against the popularity baseline, and recommendations for one user
// beside that user's true tastes.
import { useId, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useShallow } from 'zustand/react/shallow';
import { usePlayground } from '../store.js';
import { DemoSettings } from './DemoSettings.js';
import { PLAY_ATTR } from './open.js';
import type { Metrics } from '../../playground/demo/config.js';
import './demo.css';

const C = { model: '#0072B2', pop: '#E69F00', oracle: '#009E73', items: '#CC79A7', users: '#56B4E9', ev: '#D55E00' };

function Chart({
  title,
  data,
  lines,
  yLabel,
  yDomain,
  format,
}: {
  title: string;
  data: Metrics[];
  lines: { key: keyof Metrics; name: string; colour: string; dash?: string }[];
  yLabel: string;
  yDomain?: [number, number];
  format: (v: number) => string;
}) {
  return (
    <figure className="demo-chart" aria-label={title}>
      <figcaption>{title}</figcaption>
      <ResponsiveContainer width="100%" height={190}>
        <LineChart data={data} margin={{ top: 4, right: 12, bottom: 18, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis
            dataKey="step"
            type="number"
            domain={[0, 'dataMax']}
            fontSize={11}
            label={{ value: 'training step', position: 'insideBottom', offset: -10, fontSize: 11 }}
          />
          <YAxis
            fontSize={11}
            domain={yDomain}
            tickFormatter={format}
            width={48}
            label={{ value: yLabel, angle: -90, position: 'insideLeft', offset: 4, fontSize: 11 }}
          />
          <Tooltip formatter={(v) => format(Number(v))} labelFormatter={(l) => `step ${l}`} />
          <Legend verticalAlign="top" height={22} wrapperStyle={{ fontSize: 11 }} />
          {lines.map((l) => (
            <Line
              key={l.key}
              dataKey={l.key}
              name={l.name}
              stroke={l.colour}
              strokeDasharray={l.dash}
              dot={false}
              strokeWidth={2}
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}

const pct = (v: number) => `${Math.round(v * 100)}%`;

export function DemoPanel() {
  const s = usePlayground(
    useShallow((st) => ({
      config: st.demoConfig,
      status: st.demoStatus,
      error: st.demoError,
      metrics: st.demoMetrics,
      target: st.demoTarget,
      user: st.demoUser,
      rec: st.demoRecommendation,
      play: st.demoPlay,
      pause: st.demoPause,
      reset: st.demoReset,
      setTarget: st.demoSetTarget,
      recommend: st.demoRecommend,
    })),
  );
  const userId = useId();
  const targetId = useId();
  const [userText, setUserText] = useState(String(s.user));
  const w = s.config.world;
  const last = s.metrics.at(-1);
  const step = last?.step ?? 0;
  const playing = s.status === 'playing';
  const busy = s.status === 'starting';
  const userNum = Number(userText);
  const userValid = Number.isInteger(userNum) && userNum >= 0 && userNum < w.users;
  const trained = s.metrics.filter((m) => m.step > 0);

  return (
    <section className="panel demo" id="panel-demo" aria-labelledby="demo-title" data-panel="demo">
      <h2 id="demo-title">Live recommender demo</h2>
      <p className="note">
        A world generated in this page from seed {w.seed}: {w.users} users, each with a taste over six genres;{' '}
        {w.initialItems} items to start with, {w.newItemsPerStep} new item per step up to {w.maxItems} (an open
        vocabulary), Zipf({w.zipf}) popularity; clicks drawn from p(item | user) ∝ popularity · exp({w.tasteStrength} ·
        taste·genre). A matrix-factorisation model (dim {s.config.dim}) with dynamic <code>de.Variable</code> user and
        item tables and an item bias, trained with <code>de.train.step</code> (Adam, in-batch softmax with logQ
        correction, {w.batchSize} clicks per step) in a Web Worker. The item tables keep at most{' '}
        {s.config.itemTableLimit} keys (<code>TimestampRestrictPolicy</code>, <code>restrict()</code> after every step).
        recall@10 is measured on {s.config.evalClicks} held-out clicks the model never trains on.
      </p>
      <div className="demo-controls" role="group" aria-label="Training controls">
        {playing ? (
          <button type="button" onClick={s.pause}>
            Pause training
          </button>
        ) : (
          <button
            type="button"
            onClick={() => void s.play()}
            disabled={busy || step >= s.target}
            {...{ [PLAY_ATTR]: '' }}
          >
            {step === 0 ? 'Play: train the recommender' : 'Resume training'}
          </button>
        )}
        <button type="button" onClick={() => void s.reset()} disabled={busy || playing}>
          Reset the model
        </button>
        <div className="field">
          <label htmlFor={targetId}>Train until step</label>
          <select
            id={targetId}
            value={s.target}
            disabled={playing}
            onChange={(e) => s.setTarget(Number(e.target.value))}
          >
            {[100, 200, 300, 500, 1000].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </div>
        <div className="demo-progress">
          <progress max={s.target} value={Math.min(step, s.target)} aria-label="Training progress" />
          <span aria-live="polite" data-testid="demo-step">
            {s.status === 'starting' ? 'Starting the worker…' : `Step ${step} of ${s.target}`}
          </span>
        </div>
      </div>
      <DemoSettings disabled={playing || busy} />
      {s.error && (
        <p className="notice error" role="alert">
          {s.error}
        </p>
      )}
      {last && (
        <p className="demo-headline" role="status" data-testid="demo-recall">
          recall@10 {pct(last.recall)} · popularity baseline {pct(last.popularityRecall)} · true distribution{' '}
          {pct(last.oracleRecall)} (the ceiling) · item table {last.itemTableSize} keys of {last.catalogue} items ·{' '}
          {last.evictions} evictions
        </p>
      )}
      {trained.length > 0 ? (
        <div className="demo-charts">
          <Chart
            title="Loss (mean per 10 steps)"
            data={trained}
            lines={[{ key: 'loss', name: 'in-batch softmax loss', colour: C.model }]}
            yLabel="loss (nats)"
            format={(v) => String(Number(v.toFixed(2)))}
          />
          <Chart
            title="recall@10 on held-out clicks"
            data={s.metrics}
            lines={[
              { key: 'recall', name: 'model', colour: C.model },
              { key: 'popularityRecall', name: 'popularity baseline', colour: C.pop, dash: '6 3' },
              { key: 'oracleRecall', name: 'true distribution', colour: C.oracle, dash: '2 3' },
            ]}
            yLabel="recall@10"
            yDomain={[0, 1]}
            format={pct}
          />
          <Chart
            title="Table sizes and evictions"
            data={s.metrics}
            lines={[
              { key: 'itemTableSize', name: 'item table keys', colour: C.items },
              { key: 'userTableSize', name: 'user table keys', colour: C.users },
              { key: 'catalogue', name: 'items in the world', colour: C.oracle, dash: '2 3' },
              { key: 'evictions', name: 'evictions (total)', colour: C.ev, dash: '6 3' },
            ]}
            yLabel="count"
            format={(v) => String(Math.round(v))}
          />
        </div>
      ) : (
        <p className="muted">Press Play: charts of loss, recall@10, table sizes and evictions appear as it trains.</p>
      )}

      <h3>Recommend for a user</h3>
      <form
        className="demo-controls"
        onSubmit={(e) => {
          e.preventDefault();
          if (userValid) void s.recommend(userNum);
        }}
      >
        <div className="field">
          <label htmlFor={userId}>User (0–{w.users - 1})</label>
          <input
            id={userId}
            type="number"
            min={0}
            max={w.users - 1}
            value={userText}
            aria-invalid={!userValid}
            onChange={(e) => setUserText(e.target.value)}
          />
        </div>
        <button type="submit" disabled={!userValid || busy}>
          {`Recommend for user ${userValid ? userNum : '…'}`}
        </button>
        {s.rec && <span className="muted">as of step {s.rec.step}; refreshed while training</span>}
      </form>
      {s.rec && (
        <div className="demo-rec">
          <div>
            <table className="demo-table">
              <caption>Model&apos;s top 10 for user {s.rec.user}</caption>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">item</th>
                  <th scope="col">genre</th>
                  <th scope="col">model score</th>
                  <th scope="col">true p(click)</th>
                </tr>
              </thead>
              <tbody>
                {s.rec.items.map((it, i) => (
                  <tr key={it.item}>
                    <td>
                      {i + 1}
                      {s.rec?.trueTop.some((t) => t.item === it.item) && <span title="also truly likely"> ★</span>}
                    </td>
                    <td>
                      {it.item}
                      {!it.inTable && <span className="muted"> (not in table)</span>}
                    </td>
                    <td>{it.genre}</td>
                    <td>{it.score.toFixed(2)}</td>
                    <td>{pct(it.trueProbability)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p className="muted demo-legend">
              model score: the user vector · the item vector + the item&apos;s bias (higher ranks first). true p(click):
              the world&apos;s probability that this user clicks the item now. ★: also one of the user&apos;s 10 truly
              likeliest items (listed beside this table).
            </p>
          </div>
          <div>
            <p className="demo-sub">User {s.rec.user}&apos;s true taste</p>
            <ul className="demo-taste" aria-label={`User ${s.rec.user}'s true taste`}>
              {s.rec.taste.map((t) => (
                <li key={t.genre}>
                  <span className="demo-taste-name">{t.genre}</span>
                  <span className="demo-bar" style={{ width: `${Math.round(t.weight * 120)}px` }} />
                  <span>{pct(t.weight)}</span>
                </li>
              ))}
            </ul>
            <p className="demo-sub">Truly likeliest items (★ = also in the model&apos;s top 10)</p>
            <ol className="demo-true">
              {s.rec.trueTop.map((t) => (
                <li key={t.item}>
                  {s.rec?.items.some((x) => x.item === t.item) ? '★ ' : ''}
                  {t.item} ({t.genre}) {pct(t.probability)}
                </li>
              ))}
            </ol>
          </div>
        </div>
      )}
    </section>
  );
}
