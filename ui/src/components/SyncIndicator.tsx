// The sync indicator, always visible at the bottom of the sidebar. It renders
// whatever status it is given (app.tsx feeds it the first value from the
// `sync_status` command and then every `sync://status` event). Clicking it
// opens the details: state, reason, pending changes, last sync, conflicts,
// "Sync now" and the pause toggle. Esc closes them and returns focus.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, messageOf } from "../lib/api";
import type { SyncState, SyncStatus } from "../lib/api";
import { formatRelative, plural } from "../lib/format";
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

/** One line under the state: what the user most needs to know. */
export function syncSummary(status: SyncStatus): string {
  if (status.state === "error" && status.error_message) return status.error_message;
  if (status.pending > 0) return `${plural(status.pending, "change")} pending`;
  if (status.state === "local_only") return "No server configured";
  if (status.last_sync) return `Last sync ${formatRelative(status.last_sync)}`;
  return "All changes saved";
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
          <span class="sync-sub" data-testid="sync-summary">
            {syncSummary(status)}
          </span>
        </span>
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
