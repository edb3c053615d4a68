// The MovieLens view: a recommender on real data (ml-latest-small) trained in a Web Worker, its
// precision/recall/NDCG@10 over wall-clock training seconds beside the popularity baseline on the
// same split, and people in the loop: "rate a few movies" (a new user folded in) and "recommend for user N".
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useShallow } from 'zustand/react/shallow';
import { MOVIELENS_TERMS } from '../../playground/movielens/asset.js';
import { MOVIELENS_PROTOCOL } from '../../playground/movielens/protocol.js';
import { usePlayground } from '../store.js';
import { RateMovies, UserRecommendations } from './People.js';
import { ML_GOAL_SECONDS } from './slice.js';
import './movielens.css';

const C = { recall: '#0072B2', precision: '#009E73', ndcg: '#CC79A7', pop: '#E69F00' };
const pct = (v: number) => `${(v * 100).toFixed(1)} %`;

function Curve() {
  const { curve, info } = usePlayground(useShallow((s) => ({ curve: s.mlCurve, info: s.mlInfo })));
  // The baseline as two flat series from 0 s to the goal, so the legend names it.
  const pop = info && { popRecall: info.popularity.recall, popPrecision: info.popularity.precision };
  type Row = {
    seconds: number;
    recall?: number;
    precision?: number;
    ndcg?: number;
    popRecall?: number;
    popPrecision?: number;
  };
  const rows: Row[] = curve.map((p) => ({
    seconds: p.seconds,
    recall: p.recall,
    precision: p.precision,
    ndcg: p.ndcg,
    ...pop,
  }));
  const data: Row[] = pop ? [{ seconds: 0, ...pop }, ...rows, { seconds: ML_GOAL_SECONDS, ...pop }] : rows;
  return (
    <figure className="ml-chart" aria-label="Metrics at 10 over training seconds">
      <figcaption>
        Held-out metrics @10 over wall-clock seconds of training (dashed: popularity on the same split)
      </figcaption>
      <ResponsiveContainer width="100%" height={240}>
        <LineChart data={data} margin={{ top: 4, right: 16, bottom: 20, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis
            dataKey="seconds"
            type="number"
            domain={[0, ML_GOAL_SECONDS]}
            ticks={[0, 10, 20, 30, 40, 50, 60]}
            fontSize={11}
            label={{ value: 'training time (s)', position: 'insideBottom', offset: -10, fontSize: 11 }}
          />
          <YAxis
            fontSize={11}
            domain={[0, 0.4]}
            tickFormatter={(v: number) => `${Math.round(v * 100)} %`}
            width={48}
            label={{ value: 'metric @10', angle: -90, position: 'insideLeft', offset: 4, fontSize: 11 }}
          />
          <Tooltip formatter={(v) => pct(Number(v))} labelFormatter={(l) => `${Number(l).toFixed(1)} s`} />
          <Legend verticalAlign="top" height={24} wrapperStyle={{ fontSize: 11 }} />
          <Line dataKey="recall" name="recall@10" stroke={C.recall} dot={false} isAnimationActive={false} />
          <Line dataKey="precision" name="precision@10" stroke={C.precision} dot={false} isAnimationActive={false} />
          <Line dataKey="ndcg" name="NDCG@10" stroke={C.ndcg} dot={false} isAnimationActive={false} />
          <Line
            dataKey="popRecall"
            name="popularity recall@10"
            stroke={C.recall}
            strokeDasharray="5 4"
            dot={false}
            isAnimationActive={false}
          />
          <Line
            dataKey="popPrecision"
            name="popularity precision@10"
            stroke={C.precision}
            strokeDasharray="5 4"
            dot={false}
            isAnimationActive={false}
          />
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}

function Scores() {
  const { curve, info } = usePlayground(useShallow((s) => ({ curve: s.mlCurve, info: s.mlInfo })));
  const last = curve.at(-1);
  if (!info) return null;
  const rows = [
    { name: 'Model', m: last },
    { name: 'Popularity', m: info.popularity },
  ];
  return (
    <table className="ml-scores" aria-label="Model and popularity on the held-out 20 %">
      <thead>
        <tr>
          <th scope="col">on the held-out 20 %</th>
          <th scope="col">precision@10</th>
          <th scope="col">recall@10</th>
          <th scope="col">NDCG@10</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ name, m }) => (
          <tr key={name} data-row={name.toLowerCase()}>
            <th scope="row">{name}</th>
            <td>{m ? m.precision.toFixed(3) : '—'}</td>
            <td data-metric="recall">{m ? m.recall.toFixed(3) : '—'}</td>
            <td>{m ? m.ndcg.toFixed(3) : '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The MovieLens view. */
export function MovieLensPanel() {
  const s = usePlayground(
    useShallow((x) => ({
      status: x.mlStatus,
      error: x.mlError,
      info: x.mlInfo,
      curve: x.mlCurve,
      train: x.mlTrain,
      pause: x.mlPause,
      cancel: x.mlCancel,
    })),
  );
  const last = s.curve.at(-1);
  const seconds = last?.seconds ?? 0;
  const training = s.status === 'training';
  const busy = s.status === 'loading';
  return (
    <section className="panel ml" id="panel-movielens" aria-labelledby="ml-title" data-panel="movielens">
      <h2 id="ml-title">MovieLens: a recommender on real ratings</h2>
      <p className="note">
        Data: {MOVIELENS_TERMS} Shipped with this app (no network): 100,004 ratings by 671 users of 9,066 movies.
      </p>
      <p className="note">
        Model: matrix factorisation on dynamic <code>de.Variable</code> tables — users by userId, movies by movieId,
        genres through one <code>mean</code> combiner — rows inserted as they are first trained; a sampled softmax per
        user (its movies against 1,024 shared random movies and the step&apos;s other positives), Adam, in a Web Worker.
      </p>
      <p className="note ml-protocol">
        <strong>Protocol.</strong> {MOVIELENS_PROTOCOL}
      </p>
      <div className="demo-controls" role="group" aria-label="MovieLens training">
        {training ? (
          <button type="button" onClick={s.pause}>
            Pause
          </button>
        ) : (
          <button type="button" onClick={() => void s.train()} disabled={busy || seconds >= ML_GOAL_SECONDS}>
            {seconds === 0 ? `Train for ${ML_GOAL_SECONDS} s` : 'Resume'}
          </button>
        )}
        <button type="button" onClick={() => void s.cancel()} disabled={busy || (seconds === 0 && !training)}>
          Cancel
        </button>
        <label className="demo-progress">
          <span>
            {busy ? 'loading the data…' : `${seconds.toFixed(1)} / ${ML_GOAL_SECONDS} s trained`}
            {last ? `, epoch ${last.epoch}, step ${last.step}` : ''}
          </span>
          <progress max={ML_GOAL_SECONDS} value={seconds} aria-label="Training progress (seconds)" />
        </label>
        <span role="status" className="ml-status" data-status={s.status}>
          {s.status === 'done' ? 'Done: 60 s trained.' : s.status === 'paused' ? 'Paused.' : ''}
        </span>
      </div>
      {s.error && (
        <p className="ml-error" role="alert">
          {s.error}
        </p>
      )}
      <div className="ml-top">
        <Curve />
        <Scores />
      </div>
      <div className="ml-people">
        <RateMovies />
        <UserRecommendations />
      </div>
    </section>
  );
}
