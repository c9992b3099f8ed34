// The sync indicator, always visible at the bottom of the sidebar. It renders
// whatever status it is given (app.tsx feeds it the first value from the
// `sync_status` command and then every `sync://status` event). Clicking it
// opens the details: state, reason, pending changes, changes not accepted
// (with the list of them), last sync, conflicts, "Sync now" and the pause
// toggle. Esc closes them and returns focus.
//
// A change "not accepted" was refused by the server or held back by the
// engine (a value PostgreSQL would misread); it stays on this device until the
// user edits the row, so the indicator must not just say "Synced".
import { useEffect, useRef, useState } from "preact/hooks";
import { api, messageOf } from "../lib/api";
import type { SyncState, SyncStatus } from "../lib/api";
import { formatRelative, plural, tableLabel } from "../lib/format";
import { useAsync } from "../lib/useAsync";
import { Empty, ErrorState, Loading } from "./States";
import "../sync.css";

const LABELS: Record<SyncState, string> = {
  connecting: "Connecting…",
  paused: "Sync paused",
  online: "Synced",
  offline: "Offline",
  syncing: "Syncing…",
  error: "Sync error",
  local_only: "Local only",
};

/** The state in words, as the indicator's first line shows it (Settings
 *  shows the same, so the two never disagree). */
export function syncStateLabel(state: SyncState): string {
  return LABELS[state];
}

/** One line under the state: what the user most needs to know. An error comes
 *  first; then changes not accepted, which wait for the user, before pending
 *  ones, which go by themselves. */
export function syncSummary(status: SyncStatus): string {
  if (status.state === "error" && status.error_message) return status.error_message;
  if (status.held_deletions > 0) return `${plural(status.held_deletions, "deletion")} held`;
  if (status.not_accepted > 0) return `${plural(status.not_accepted, "change")} not accepted`;
  if (status.pending > 0) return `${plural(status.pending, "change")} pending`;
  if (status.unreadable_central > 0) return `${plural(status.unreadable_central, "server row")} the Noesis server cannot read`;
  if (status.state === "local_only") return "No server configured";
  if (status.last_sync) return `Last sync ${formatRelative(status.last_sync)}`;
  return "All changes saved";
}

/** The changes not accepted, fetched when shown and again when their count
 *  moves: where each is, why, and what to do. */
export function NotAcceptedList({ count }: { count: number }) {
  const [list, reload] = useAsync(() => api.listNotAccepted(), [count]);
  if (list.state === "loading") return <Loading label="Loading changes not accepted…" />;
  if (list.state === "error") return <ErrorState message={list.message} onRetry={reload} />;
  if (list.value.length === 0) {
    return <Empty title="Nothing waiting">Every change was accepted since this count.</Empty>;
  }
  return (
    <div class="not-accepted">
      <ul class="not-accepted-list" data-testid="not-accepted-list" aria-label="Changes not accepted" tabIndex={0}>
        {list.value.map((c) => (
          <li key={`${c.table}/${c.row_id}`} data-testid="not-accepted-item">
            <div class="not-accepted-head">
              <span class="not-accepted-table">{tableLabel(c.table)}</span>
              <code class="not-accepted-id" title={c.row_id}>
                {c.row_id}
              </code>
              <span class="not-accepted-when">{formatRelative(c.rejected_at)}</span>
            </div>
            <p class="not-accepted-reason" data-testid="not-accepted-reason">
              {c.reason}
            </p>
          </li>
        ))}
      </ul>
      <p class="muted not-accepted-hint">
        These edits are kept on this device only. Editing the row sends it again.
      </p>
    </div>
  );
}

/** Rows on the central server that the Noesis server cannot read: one of
 *  them stops its listing and its start-up, so each is named with why, to be
 *  corrected on the server (or by editing it here, which syncs). */
export function UnreadableCentralList({ count }: { count: number }) {
  const [list, reload] = useAsync(() => api.listUnreadableCentral(), [count]);
  if (list.state === "loading") return <Loading label="Loading unreadable server rows…" />;
  if (list.state === "error") return <ErrorState message={list.message} onRetry={reload} />;
  return (
    <div class="not-accepted">
      <ul class="not-accepted-list" data-testid="unreadable-list" aria-label="Server rows the Noesis server cannot read" tabIndex={0}>
        {list.value.map((r) => (
          <li key={`${r.table}/${r.row_id}`} data-testid="unreadable-item">
            <div class="not-accepted-head">
              <span class="not-accepted-table">{tableLabel(r.table)}</span>
              <code class="not-accepted-id" title={r.row_id}>
                {r.row_id}
              </code>
            </div>
            <p class="not-accepted-reason">{r.reason}</p>
          </li>
        ))}
      </ul>
      <p class="muted not-accepted-hint">
        The Noesis server stops listing these tables, and may not start, until each row is corrected (in psql, or by
        editing it here).
      </p>
    </div>
  );
}

/** Deletions the mass-deletion guard holds, by table: what would go, and the
 *  two ways out. Nothing of them is deleted until the user chooses. */
export function HeldDeletionsList({ count, onDone }: { count: number; onDone: (message: string) => void }) {
  const [list, reload] = useAsync(() => api.listHeldDeletions(), [count]);
  const [busy, setBusy] = useState(false);
  if (list.state === "loading") return <Loading label="Loading held deletions…" />;
  if (list.state === "error") return <ErrorState message={list.message} onRetry={reload} />;
  if (list.value.length === 0) return null;
  const choose = async (table: string, choice: "delete" | "keep", done: string) => {
    setBusy(true);
    try {
      await api.resolveHeldDeletions(table, choice);
      onDone(done);
    } catch (e) {
      onDone(messageOf(e));
    } finally {
      setBusy(false);
      reload();
    }
  };
  return (
    <div class="not-accepted">
      <ul class="not-accepted-list" data-testid="held-deletions-list" aria-label="Held deletions">
        {list.value.map((g) => (
          <li key={g.table} data-testid="held-deletion-item">
            <div class="not-accepted-head">
              <span class="not-accepted-table">{tableLabel(g.table)}</span>
            </div>
            <p class="not-accepted-reason">
              {plural(g.rows, "row")} {g.deleted_here ? "deleted on this device, still on the server" : "deleted on the server, still here"}:{" "}
              <code>{g.sample.join(", ")}</code>
              {g.rows > g.sample.length ? ", …" : ""}
            </p>
            <div class="sync-actions">
              <button
                type="button"
                data-testid="held-delete"
                disabled={busy}
                onClick={() => choose(g.table, "delete", `Deleting ${plural(g.rows, "row")} everywhere`)}
              >
                Delete them
              </button>
              <button
                type="button"
                class="primary"
                data-testid="held-keep"
                disabled={busy}
                onClick={() => choose(g.table, "keep", `Keeping ${plural(g.rows, "row")}`)}
              >
                {g.deleted_here ? "Keep them and put them back" : "Keep them and push them back"}
              </button>
            </div>
          </li>
        ))}
      </ul>
      <p class="muted not-accepted-hint">
        Nothing was deleted: this would remove more than half of the table on this device.
      </p>
    </div>
  );
}

export function SyncIndicator({
  status,
  onOpenConflicts,
}: {
  status: SyncStatus | null;
  onOpenConflicts?: () => void;
}) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const button = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    panel.current?.querySelector<HTMLElement>("button, input")?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        event.preventDefault();
        setOpen(false);
        button.current?.focus();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [open]);

  if (!status) {
    return (
      <div class="sync" data-testid="sync-indicator" data-state="unknown">
        <span class="sync-dot" />
        <span class="sync-label">Checking sync…</span>
      </div>
    );
  }
  const hasServer = status.state !== "local_only";
  const paused = status.state === "paused";

  const run = async (action: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setMessage(null);
    try {
      await action();
      setMessage(done);
    } catch (e) {
      setMessage(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="sync-wrap">
      <button
        ref={button}
        type="button"
        class="sync"
        data-testid="sync-indicator"
        data-state={status.state}
        aria-expanded={open}
        aria-haspopup="dialog"
        onClick={() => {
          setMessage(null);
          setOpen(!open);
        }}
        title="Sync status"
      >
        <span class={`sync-dot ${status.state}`} aria-hidden="true" />
        <span class="sync-text">
          <span class="sync-label" data-testid="sync-label">
            {LABELS[status.state]}
          </span>
          <span class="sync-sub" data-testid="sync-summary" title={syncSummary(status)}>
            {syncSummary(status)}
          </span>
        </span>
        {status.held_deletions > 0 && (
          <span class="badge danger" data-testid="held-badge" title={`${plural(status.held_deletions, "deletion")} held`}>
            {status.held_deletions}
          </span>
        )}
        {status.not_accepted > 0 && (
          <span
            class="badge danger"
            data-testid="not-accepted-badge"
            title={`${plural(status.not_accepted, "change")} not accepted`}
          >
            {status.not_accepted}
          </span>
        )}
        {status.unreadable_central > 0 && (
          <span
            class="badge danger"
            data-testid="unreadable-badge"
            title={`${plural(status.unreadable_central, "server row")} the Noesis server cannot read`}
          >
            {status.unreadable_central}
          </span>
        )}
        {status.conflicts > 0 && (
          <span class="badge warn" title={plural(status.conflicts, "open conflict")}>
            {status.conflicts}
          </span>
        )}
      </button>
      {open && (
        <div class="sync-details" role="dialog" aria-label="Sync details" data-testid="sync-details" ref={panel}>
          <dl>
            <dt>State</dt>
            <dd data-testid="sync-state">{LABELS[status.state]}</dd>
            <dt>Pending changes</dt>
            <dd data-testid="sync-pending">{status.pending}</dd>
            <dt>Not accepted</dt>
            <dd data-testid="sync-not-accepted">{status.not_accepted}</dd>
            <dt>Last sync</dt>
            <dd data-testid="sync-last">{status.last_sync ? formatRelative(status.last_sync) : "Never"}</dd>
            <dt>Open conflicts</dt>
            <dd data-testid="sync-conflicts">{status.conflicts}</dd>
          </dl>
          {status.error_message && (
            <p class="sync-reason" data-testid="sync-reason">
              {status.error_message}
            </p>
          )}
          {status.held_deletions > 0 && <HeldDeletionsList count={status.held_deletions} onDone={setMessage} />}
          {status.not_accepted > 0 && <NotAcceptedList count={status.not_accepted} />}
          {status.unreadable_central > 0 && <UnreadableCentralList count={status.unreadable_central} />}
          {hasServer ? (
            <div class="sync-actions">
              <button
                type="button"
                class="primary"
                data-testid="sync-now"
                disabled={busy || paused}
                title={paused ? "Resume sync first" : "Push and pull now"}
                onClick={() => run(() => api.syncNow(), "Syncing now")}
              >
                Sync now
              </button>
              <label class="toggle">
                <input
                  type="checkbox"
                  data-testid="sync-pause"
                  checked={paused}
                  disabled={busy}
                  onChange={(e) => {
                    const want = (e.currentTarget as HTMLInputElement).checked;
                    void run(() => api.setSyncPaused(want), want ? "Paused: edits wait on this device" : "Resumed");
                  }}
                />
                Pause sync
              </label>
              {status.conflicts > 0 && onOpenConflicts && (
                <button
                  type="button"
                  data-testid="open-conflicts"
                  onClick={() => {
                    setOpen(false);
                    onOpenConflicts();
                  }}
                >
                  Review {plural(status.conflicts, "conflict")}
                </button>
              )}
            </div>
          ) : (
            <p class="muted">Edits are saved on this device and will sync once a server is set up.</p>
          )}
          {message && (
            <p class="muted" role="status" data-testid="sync-message">
              {message}
            </p>
          )}
        </div>
      )}
    </div>
  );
}
