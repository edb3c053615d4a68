// People in the loop of the MovieLens view: "rate a few movies" (search titles, pick five, a new
// user id inserted into the dynamic user table and folded in, its top-10 with reasons) and
// "recommend for user N" (a data-set user's top-10 with their held-out movies marked).
import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { RecommendedMovie } from '../../playground/movielens/session.js';
import { usePlayground } from '../store.js';

export const MIN_PICKS = 5;

function RecList({ items, label }: { items: RecommendedMovie[]; label: string }) {
  return (
    <ol className="ml-recs" aria-label={label}>
      {items.map((m) => (
        <li key={m.movieId} data-held-out={m.heldOut ? 'yes' : undefined}>
          <span className="ml-title">{m.title}</span>{' '}
          {m.heldOut && <span className="ml-held">✓ held out: the user rated it</span>}
          <span className="ml-genres">{m.genres.join(', ')}</span>
          <span className="ml-score">score {m.score.toFixed(2)}</span>
          {m.because && <span className="ml-why">because you liked {m.because.join(' and ')}</span>}
        </li>
      ))}
    </ol>
  );
}

/** Search titles, pick five, get ten recommendations for a brand-new user id. */
export function RateMovies() {
  const s = usePlayground(
    useShallow((x) => ({
      results: x.mlResults,
      picked: x.mlPicked,
      rated: x.mlRated,
      info: x.mlInfo,
      search: x.mlSearch,
      pick: x.mlPick,
      unpick: x.mlUnpick,
      recommend: x.mlRecommendRated,
    })),
  );
  const [query, setQuery] = useState('');
  return (
    <div className="ml-rate">
      <h3>Rate a few movies</h3>
      <p className="note">
        Pick {MIN_PICKS} movies you like. A new user id is inserted into the dynamic user table and trained on the spot
        (40 steps on that row only; the movie and genre tables stay frozen): the cold start only a dynamic table allows.
      </p>
      <form
        className="ml-search"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          void s.search(query);
        }}
      >
        <label>
          Search titles{' '}
          <input type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder="e.g. star wars" />
        </label>{' '}
        <button type="submit" disabled={query.trim() === ''}>
          Search
        </button>
      </form>
      {s.results.length > 0 && (
        <ul className="ml-results" aria-label="Search results">
          {s.results.slice(0, 8).map((m) => (
            <li key={m.movieId}>
              <button
                type="button"
                onClick={() => s.pick(m)}
                disabled={s.picked.some((p) => p.movieId === m.movieId)}
                aria-label={`Pick ${m.title}`}
              >
                +
              </button>{' '}
              {m.title} <span className="ml-genres">{m.genres.join(', ')}</span>
            </li>
          ))}
        </ul>
      )}
      <ul className="ml-picked" aria-label="Your picks">
        {s.picked.map((m) => (
          <li key={m.movieId}>
            {m.title}{' '}
            <button type="button" onClick={() => s.unpick(m.movieId)} aria-label={`Remove ${m.title}`}>
              ×
            </button>
          </li>
        ))}
      </ul>
      <button type="button" onClick={() => void s.recommend()} disabled={s.picked.length < MIN_PICKS || !s.info}>
        Recommend for me ({s.picked.length}/{MIN_PICKS} picked)
      </button>
      {s.rated && (
        <>
          <p className="note" role="status">
            New user id {s.rated.userKey} inserted (user table: {s.rated.userTableSize} keys); top 10 in{' '}
            {Math.round(s.rated.ms)} ms.
          </p>
          <RecList items={s.rated.items} label="Recommended for you" />
        </>
      )}
    </div>
  );
}

/** A data-set user's top-10, the user's held-out movies marked. */
export function UserRecommendations() {
  const s = usePlayground(useShallow((x) => ({ user: x.mlUser, info: x.mlInfo, recommend: x.mlRecommendUser })));
  const [text, setText] = useState('1');
  const n = Number(text);
  const valid = Number.isInteger(n) && n >= 1 && n <= (s.info?.users ?? 671);
  const hits = s.user?.items.filter((m) => m.heldOut).length ?? 0;
  return (
    <div className="ml-user">
      <h3>Recommend for user N</h3>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (valid) void s.recommend(n);
        }}
      >
        <label>
          MovieLens user id (1–{s.info?.users ?? 671}){' '}
          <input
            type="number"
            min={1}
            max={s.info?.users ?? 671}
            value={text}
            onChange={(e) => setText(e.target.value)}
            aria-invalid={!valid}
          />
        </label>{' '}
        <button type="submit" disabled={!valid || !s.info}>
          Recommend
        </button>
        {!valid && <span className="ml-error"> Expected a whole number from 1 to {s.info?.users ?? 671}.</span>}
      </form>
      {s.user && (
        <>
          <p className="note" role="status">
            User {s.user.userId}: {hits} of the top 10 are among the user&apos;s {s.user.heldOut} held-out movies (never
            trained on).
          </p>
          <RecList items={s.user.items} label={`Recommended for user ${s.user.userId}`} />
        </>
      )}
    </div>
  );
}
