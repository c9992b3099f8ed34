// A row's History panel: the versions the server kept, newest first, who
// replaced each and when, the fields that edit changed highlighted, and
// Restore on each (an ordinary edit that syncs). Offline it shows the
// versions this device read last and says newer ones need the server.
import { useState } from "preact/hooks";
import { api, messageOf } from "../lib/api";
import type { VersionView } from "../lib/api";
import { formatDate, showValue } from "../lib/format";
import { fieldLabel, fieldValueLabel } from "../lib/labels";
import { useAsync } from "../lib/useAsync";
import { ErrorState, Loading } from "./States";

/** How each kind of version is labelled. */
const KIND: Record<VersionView["kind"], { label: string; pill: string }> = {
  edited: { label: "Edited", pill: "pill" },
  deleted: { label: "Deleted", pill: "pill rejected" },
  lost_conflict: { label: "Lost a conflict", pill: "pill pending" },
};

function Version(props: { table: string; v: VersionView; onRestore: () => void; restoring: boolean; offline: boolean }) {
  const { v } = props;
  const [open, setOpen] = useState(false);
  const changed = v.fields.filter((f) => f.changed);
  const shown = open ? v.fields : changed;
  return (
    <li class="version" data-testid="history-version" data-version={v.version}>
      <div class="version-head">
        <span class={KIND[v.kind].pill}>{KIND[v.kind].label}</span>
        <span class="muted">
          {formatDate(v.replaced_at)} · {v.by}
        </span>
        <span class="spacer" />
        <button
          type="button"
          data-testid="history-restore"
          disabled={props.restoring || props.offline}
          title={props.offline ? "Restoring needs the server" : undefined}
          onClick={props.onRestore}
        >
          Restore
        </button>
      </div>
      <div class="version-title">{v.title}</div>
      <div class="muted">
        {v.kind === "deleted"
          ? "Deleted as it was here."
          : `${v.kind === "lost_conflict" ? "Differs from the version sync kept in" : "Changed after this version"}: ${
              changed.length ? changed.map((f) => fieldLabel(f.field)).join(", ") : "nothing visible"
            }`}
      </div>
      {shown.length > 0 && (
        <dl class="version-fields">
          {shown.map((f) => (
            <div key={f.field} class={f.changed ? "field changed" : "field"} data-changed={f.changed ? "true" : "false"}>
              <dt>{fieldLabel(f.field)}</dt>
              <dd>{fieldValueLabel(props.table, f.field, showValue(f.value))}</dd>
            </div>
          ))}
        </dl>
      )}
      <button type="button" class="link" onClick={() => setOpen(!open)}>
        {open ? "Show only what changed" : "Show every field"}
      </button>
    </li>
  );
}

/** The History panel of row `id` of `table`; `onRestored` after a restore. */
export function HistoryPanel(props: { table: string; id: string; onClose: () => void; onRestored?: () => void }) {
  const [history, reload] = useAsync(() => api.rowHistory(props.table, props.id), [props.table, props.id]);
  const [restoring, setRestoring] = useState(false);
  const [message, setMessage] = useState<string | null>(null);

  const restore = async (version: string) => {
    setRestoring(true);
    setMessage(null);
    try {
      await api.restoreVersion(props.table, props.id, version);
      setMessage(`${version.startsWith("conflict:") ? "The conflict's losing version" : `Version ${version}`} restored; it syncs now.`);
      props.onRestored?.();
      reload();
    } catch (e) {
      setMessage(messageOf(e));
    } finally {
      setRestoring(false);
    }
  };

  return (
    <section class="history-panel" aria-label="History" data-testid="history-panel">
      <div class="detail-head">
        <h2>History</h2>
        <span class="spacer" />
        <button type="button" data-testid="history-close" onClick={props.onClose}>
          Close
        </button>
      </div>
      {message && (
        <div class="inline-note" role="status" data-testid="history-message">
          {message}
        </div>
      )}
      {history.state === "loading" && <Loading label="Reading the history…" />}
      {history.state === "error" && <ErrorState message={history.message} onRetry={reload} />}
      {history.state === "ready" && (
        <>
          {history.value.offline_since !== null && (
            <div class="inline-note" role="status" data-testid="history-offline">
              Offline: these are the versions this device read {formatDate(history.value.offline_since)}. Newer ones, and
              restoring, need the server.
            </div>
          )}
          {history.value.open_conflicts > 0 && (
            <div class="inline-note" data-testid="history-conflicts">
              {history.value.open_conflicts === 1 ? "A conflict on this item is open" : `${history.value.open_conflicts} conflicts on this item are open`}:
              restoring its losing version below resolves it; the conflict centre shows it side by side.
            </div>
          )}
          {history.value.versions.length === 0 ? (
            <p class="muted" data-testid="history-empty">
              No earlier version: this item has not been edited or deleted since the server began keeping history.
            </p>
          ) : (
            <ol class="versions">
              {history.value.versions.map((v) => (
                <Version
                  key={v.version}
                  table={props.table}
                  v={v}
                  restoring={restoring}
                  offline={history.value.offline_since !== null}
                  onRestore={() => void restore(v.version)}
                />
              ))}
            </ol>
          )}
        </>
      )}
    </section>
  );
}

/** A "History" button and, while it is open, the panel, for a detail view to
 *  place apart (the button among its actions, the panel below). */
export function useHistoryPanel(table: string, id: string, onRestored?: () => void) {
  const [open, setOpen] = useState(false);
  const button = (
    <button type="button" data-testid="history-open" aria-expanded={open} onClick={() => setOpen(!open)}>
      History
    </button>
  );
  const panel = open ? <HistoryPanel table={table} id={id} onClose={() => setOpen(false)} onRestored={onRestored} /> : null;
  return { button, panel };
}
