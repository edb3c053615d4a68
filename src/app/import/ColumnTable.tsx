// The importer's mapping table: one page of columns (a log may have 300,000), each with its type
// (and separator) and its role. Only the page shown is rendered; the filter finds a column by name.
import { useId, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import {
  COLUMN_KINDS,
  type ColumnKind,
  SEPARATORS,
  type Separator,
  separatorLabel,
} from '../../playground/import/columns.js';
import { usePlayground } from '../store.js';
import { featureNameOf } from './plan.js';
import { PAGE_COLUMNS, type RoleChoice } from './slice.js';

const KIND_LABEL: Record<ColumnKind, string> = { ids: 'ids', idList: 'id list', number: 'number', text: 'text' };

function roleValue(r: RoleChoice | undefined): string {
  if (!r || r.role === 'ignore') return 'ignore';
  if (r.role === 'label') return 'label';
  if (r.role === 'new') return 'new';
  return `${r.role}:${r.feature}`;
}

export function ColumnTable() {
  const { page, roles, filter, offset, features, busy, show, retype, setRole } = usePlayground(
    useShallow((s) => ({
      page: s.importPage,
      roles: s.importRoles,
      filter: s.importFilter,
      offset: s.importOffset,
      features: s.workspace.features,
      busy: s.importBusy,
      show: s.importShowColumns,
      retype: s.importRetype,
      setRole: s.importSetRole,
    })),
  );
  const filterId = useId();
  // The box shows what is typed at once; the page of columns follows when the worker answers.
  const [typed, setTyped] = useState(filter);
  if (!page) return null;
  const existing = features.map((f) => f.name);
  // Features other columns will create (their weights may come from another column).
  const planned = Object.values(roles).flatMap((r) => (r.role === 'new' ? [r.name] : []));
  const weightTargets = [...existing, ...planned.filter((n) => !existing.includes(n))];
  const newName = (column: string) => {
    let name = featureNameOf(column);
    for (let i = 2; existing.includes(name); i++) name = `${featureNameOf(column)}_${i}`;
    return name;
  };
  const last = Math.min(page.matching, offset + page.columns.length);
  return (
    <div className="import-columns">
      {page.total > PAGE_COLUMNS && (
        <div className="field">
          <label htmlFor={filterId}>Find a column by name</label>
          <input
            id={filterId}
            type="search"
            value={typed}
            onChange={(e) => {
              setTyped(e.target.value);
              void show(0, e.target.value);
            }}
          />
        </div>
      )}
      <p className="note" aria-live="polite">
        {page.matching === 0
          ? `No column name contains "${filter}".`
          : `Columns ${(offset + 1).toLocaleString('en')}–${last.toLocaleString('en')} of ${page.matching.toLocaleString('en')}${
              page.matching < page.total ? ` matching (${page.total.toLocaleString('en')} in all)` : ''
            }${page.total > PAGE_COLUMNS ? `, ${PAGE_COLUMNS} at a time; columns not shown keep their role (ignored unless set)` : ''}.`}
      </p>
      {page.matching > PAGE_COLUMNS && (
        <div className="row-buttons">
          <button type="button" disabled={offset === 0} onClick={() => void show(offset - PAGE_COLUMNS, filter)}>
            Previous columns
          </button>
          <button
            type="button"
            disabled={last >= page.matching}
            onClick={() => void show(offset + PAGE_COLUMNS, filter)}
          >
            Next columns
          </button>
        </div>
      )}
      <div className="table-scroll">
        <table className="mapping">
          <caption>Columns: type and role</caption>
          <thead>
            <tr>
              <th scope="col">Column</th>
              <th scope="col">Type</th>
              <th scope="col">Role</th>
              <th scope="col">First value</th>
              <th scope="col">Reads as its type</th>
            </tr>
          </thead>
          <tbody>
            {page.columns.map((c) => {
              const value = roleValue(roles[c.index]);
              return (
                <tr key={c.index}>
                  <th scope="row">{c.name}</th>
                  <td>
                    <select
                      aria-label={`Type of column ${c.name}`}
                      value={c.type.kind}
                      disabled={busy}
                      onChange={(e) => void retype(c.index, { ...c.type, kind: e.target.value as ColumnKind })}
                    >
                      {COLUMN_KINDS.map((k) => (
                        <option key={k} value={k}>
                          {KIND_LABEL[k]}
                        </option>
                      ))}
                    </select>
                    {(c.type.kind === 'idList' || c.type.kind === 'number') && (
                      <select
                        aria-label={`Separator of column ${c.name}`}
                        value={c.type.separator}
                        disabled={busy}
                        onChange={(e) => void retype(c.index, { ...c.type, separator: e.target.value as Separator })}
                      >
                        {SEPARATORS.map((s) => (
                          <option key={s} value={s}>
                            split by {separatorLabel(s)}
                          </option>
                        ))}
                      </select>
                    )}
                  </td>
                  <td>
                    <select
                      aria-label={`Role of column ${c.name}`}
                      value={value}
                      disabled={busy}
                      onChange={(e) => {
                        const v = e.target.value;
                        if (v === 'ignore' || v === 'label') setRole(c.index, { role: v });
                        else if (v === 'new') setRole(c.index, { role: 'new', name: newName(c.name) });
                        else {
                          const [role, feature] = [v.slice(0, v.indexOf(':')), v.slice(v.indexOf(':') + 1)];
                          setRole(c.index, { role: role as 'ids' | 'weights', feature });
                        }
                      }}
                    >
                      <option value="ignore">ignored</option>
                      <option value="label">the label</option>
                      {existing.map((f) => (
                        <option key={`ids:${f}`} value={`ids:${f}`}>
                          ids of feature {f}
                        </option>
                      ))}
                      <option value="new">
                        ids of a new feature{' '}
                        {roles[c.index]?.role === 'new' ? (roles[c.index] as { name: string }).name : newName(c.name)}
                      </option>
                      {weightTargets.map((f) => (
                        <option key={`weights:${f}`} value={`weights:${f}`}>
                          weights of feature {f}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <code>{c.example}</code>
                  </td>
                  <td>
                    {c.fits} of {c.filled}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}
