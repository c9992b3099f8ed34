// The conflict centre: each conflict sync recorded, both versions side by
// side field by field, resolved by keeping mine, keeping theirs, or editing a
// merged version. The engine decides what each choice writes; the result
// syncs like any edit.
import { useEffect, useState } from "preact/hooks";
import { api, messageOf } from "../lib/api";
import type { ConflictField, ConflictView } from "../lib/api";
import { useAsync } from "../lib/useAsync";
import { Empty, ErrorState, Loading } from "../components/States";
import { formatRelative, tableLabel } from "../lib/format";
import { fieldLabel, fieldValueLabel } from "../lib/labels";
import "../sync.css";

import { showValue } from "../lib/format";
export { showValue };

/** What the user typed in a merged field, back to JSON text: strings stay
 *  strings when the field held one, other fields must be JSON. */
export function mergedValue(original: string, typed: string): string {
  const before = JSON.parse(original);
  if (typeof before === "string" || before === null) return JSON.stringify(typed);
  JSON.parse(typed); // throws with a message when it is not JSON
  return typed;
}

export function ConflictsView({ onResolved }: { onResolved?: () => void }) {
  const [list, reload] = useAsync(() => api.listConflicts(), []);
  const [selected, setSelected] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  if (list.state === "loading") return <Loading label="Loading conflicts…" />;
  if (list.state === "error") return <ErrorState message={list.message} onRetry={reload} />;
  const conflicts = list.value;
  const current = conflicts.find((c) => c.id === selected) ?? conflicts[0] ?? null;

  const done = (text: string) => {
    setMessage(text);
    setSelected(null);
    reload();
    onResolved?.();
  };

  return (
    <div class="conflicts" data-testid="conflicts">
      <div class="conflicts-head">
        <h1>Conflicts</h1>
        {message && (
          <span class="muted" role="status" data-testid="conflict-message">
            {message}
          </span>
        )}
      </div>
      {conflicts.length === 0 ? (
        <Empty title="No conflicts">
          When the same field is changed on two devices before they sync, the later edit wins and the other is kept
          here for you to review.
        </Empty>
      ) : (
        <div class="conflicts-body">
          <ul class="conflict-list" aria-label="Open conflicts">
            {conflicts.map((c) => (
              <li key={c.id}>
                <button
                  type="button"
                  class={c.id === current?.id ? "conflict-row active" : "conflict-row"}
                  aria-current={c.id === current?.id ? "true" : undefined}
                  data-testid="conflict-row"
                  onClick={() => setSelected(c.id)}
                >
                  <span class="conflict-title">{tableLabel(c.table)}</span>
                  <span class="muted small">
                    {c.reason === "edit_vs_delete" ? "Edited here, deleted there" : "Edited in two places"} ·{" "}
                    {formatRelative(c.created_at)}
                  </span>
                </button>
              </li>
            ))}
          </ul>
          {current && <ConflictDetail key={current.id} conflict={current} onDone={done} />}
        </div>
      )}
    </div>
  );
}

/** What sync did, in words: which version is in place now. */
export function outcome(c: ConflictView): string {
  if (!c.involves_me) return "Two other devices changed this; sync kept the later edit. Choose which stays.";
  const kept = c.mine_is_winning ? "your version" : "the other version";
  const why = c.reason === "edit_vs_delete" ? "an edit wins over a delete" : "it was the later edit";
  return `Sync kept ${kept} (${why}); the other is set aside until you choose.`;
}

function ConflictDetail({ conflict, onDone }: { conflict: ConflictView; onDone: (message: string) => void }) {
  const [showAll, setShowAll] = useState(false);
  const [merging, setMerging] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const differing = conflict.fields.filter((f) => f.differs);
  const [drafts, setDrafts] = useState<Record<string, string>>(() =>
    Object.fromEntries(differing.map((f) => [f.field, showValue(f.mine) === "—" ? "" : showValue(f.mine)])),
  );
  const fields = showAll ? conflict.fields : differing;
  const mineLabel = conflict.involves_me ? "Mine (this device)" : "Kept";
  const theirsLabel = conflict.involves_me
    ? conflict.their_device === ""
      ? "Theirs (another program)"
      : "Theirs (another device)"
    : "Set aside";

  useEffect(() => setError(null), [merging]);

  const act = async (action: () => Promise<unknown>, message: string) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      onDone(message);
    } catch (e) {
      setError(messageOf(e));
      setBusy(false);
    }
  };

  const saveMerged = (event: Event) => {
    event.preventDefault();
    let edits;
    try {
      edits = differing.map((f) => ({ field: f.field, value: mergedValue(f.mine, drafts[f.field] ?? "") }));
    } catch (e) {
      setError(`A field is not valid JSON: ${messageOf(e)}`);
      return;
    }
    void act(() => api.resolveConflictMerged(conflict.id, edits), "Merged version saved; it syncs now");
  };

  return (
    <section class="conflict-detail" data-testid="conflict-detail" aria-label="Conflict">
      <p class="muted small">
        {tableLabel(conflict.table)} <code>{conflict.row_id}</code>
      </p>
      <p data-testid="conflict-outcome">{outcome(conflict)}</p>
      <form onSubmit={saveMerged}>
        <table class="sides" data-testid="conflict-sides">
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">{mineLabel}</th>
              <th scope="col">{theirsLabel}</th>
              {merging && <th scope="col">Merged</th>}
            </tr>
          </thead>
          <tbody>
            {conflict.mine_deleted || conflict.theirs_deleted ? (
              <tr>
                <td />
                <td>{conflict.mine_deleted ? <em>Deleted</em> : null}</td>
                <td>{conflict.theirs_deleted ? <em>Deleted</em> : null}</td>
                {merging && <td />}
              </tr>
            ) : null}
            {fields.map((f) => (
              <FieldRow
                key={f.field}
                table={conflict.table}
                field={f}
                merging={merging}
                draft={drafts[f.field]}
                onDraft={(v) => setDrafts({ ...drafts, [f.field]: v })}
              />
            ))}
          </tbody>
        </table>
        <label class="toggle small">
          <input type="checkbox" checked={showAll} onChange={() => setShowAll(!showAll)} data-testid="conflict-all-fields" />
          Show fields that agree
        </label>
        {error && (
          <p class="error-text" role="alert" data-testid="conflict-error">
            {error}
          </p>
        )}
        <div class="conflict-actions">
          {merging ? (
            <>
              <button type="submit" class="primary" disabled={busy} data-testid="save-merged">
                Save merged version
              </button>
              <button type="button" disabled={busy} onClick={() => setMerging(false)}>
                Cancel
              </button>
            </>
          ) : (
            <>
              <button type="button" class="primary" disabled={busy} data-testid="keep-mine"
                onClick={() => act(() => api.resolveConflict(conflict.id, "mine"), "Kept your version; it syncs now")}>
                Keep mine
              </button>
              <button type="button" disabled={busy} data-testid="keep-theirs"
                onClick={() => act(() => api.resolveConflict(conflict.id, "theirs"), "Kept their version; it syncs now")}>
                Keep theirs
              </button>
              <button type="button" disabled={busy || differing.length === 0} data-testid="edit-merged"
                onClick={() => setMerging(true)}>
                Edit a merged version…
              </button>
            </>
          )}
        </div>
      </form>
    </section>
  );
}

function FieldRow({
  table,
  field,
  merging,
  draft,
  onDraft,
}: {
  table: string;
  field: ConflictField;
  merging: boolean;
  draft: string | undefined;
  onDraft: (value: string) => void;
}) {
  return (
    <tr class={field.differs ? "differs" : ""} data-testid={`field-${field.field}`}>
      <th scope="row">{fieldLabel(field.field)}</th>
      <td class="side mine" data-testid="mine">
        {fieldValueLabel(table, field.field, showValue(field.mine))}
      </td>
      <td class="side theirs" data-testid="theirs">
        {fieldValueLabel(table, field.field, showValue(field.theirs))}
      </td>
      {merging && (
        <td>
          {field.differs ? (
            <textarea
              aria-label={`Merged ${fieldLabel(field.field).toLowerCase()}`}
              data-testid={`merged-${field.field}`}
              value={draft ?? ""}
              rows={3}
              onInput={(e) => onDraft((e.currentTarget as HTMLTextAreaElement).value)}
            />
          ) : (
            <span class="muted">{fieldValueLabel(table, field.field, showValue(field.mine))}</span>
          )}
        </td>
      )}
    </tr>
  );
}
