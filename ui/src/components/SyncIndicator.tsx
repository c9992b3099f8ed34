// The sync indicator, always visible at the bottom of the sidebar. It renders
// whatever status it is given; SyncStatusProvider (in app.tsx) feeds it the
// first value from the `sync_status` command and then every `sync://status` event.
import { useState } from "preact/hooks";
import type { SyncState, SyncStatus } from "../lib/api";
import { formatRelative, plural } from "../lib/format";

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

export function SyncIndicator({ status }: { status: SyncStatus | null }) {
  const [open, setOpen] = useState(false);
  if (!status) {
    return (
      <div class="sync" data-testid="sync-indicator" data-state="unknown">
        <span class="sync-dot" />
        <span class="sync-label">Checking sync…</span>
      </div>
    );
  }
  return (
    <div class="sync-wrap">
      <button
        type="button"
        class="sync"
        data-testid="sync-indicator"
        data-state={status.state}
        aria-expanded={open}
        onClick={() => setOpen(!open)}
        title="Sync status"
      >
        <span class={`sync-dot ${status.state}`} aria-hidden="true" />
        <span class="sync-text">
          <span class="sync-label">{LABELS[status.state]}</span>
          <span class="sync-sub" data-testid="sync-summary">
            {syncSummary(status)}
          </span>
        </span>
        {status.conflicts > 0 && <span class="badge warn">{status.conflicts}</span>}
      </button>
      {open && (
        <div class="sync-details" role="dialog" aria-label="Sync details">
          <dl>
            <dt>State</dt>
            <dd>{LABELS[status.state]}</dd>
            <dt>Pending changes</dt>
            <dd data-testid="sync-pending">{status.pending}</dd>
            <dt>Last sync</dt>
            <dd>{status.last_sync ? formatRelative(status.last_sync) : "Never"}</dd>
            <dt>Open conflicts</dt>
            <dd>{status.conflicts}</dd>
            {status.error_message && (
              <>
                <dt>Reason</dt>
                <dd>{status.error_message}</dd>
              </>
            )}
          </dl>
          {status.state === "local_only" && (
            <p class="muted">Edits are saved on this device and will sync once a server is set up.</p>
          )}
        </div>
      )}
    </div>
  );
}
