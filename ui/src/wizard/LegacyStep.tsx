// Step 3: legacy data. Looks in the usual places, lets the user type another
// folder or choose one in the system's folder dialog (either way checked at
// once: rows per table found), says when the central log
// shows another device already migrated, and offers resuming this device's
// interrupted run. "This machine has no legacy data" skips to the end.
import { useState } from "preact/hooks";
import { wizardApi } from "./api";
import type { LegacyFolder, RecordedRun } from "./api";
import { useAsync } from "../lib/useAsync";
import { ErrorState, Loading } from "../components/States";
import { messageOf } from "../lib/api";
import { count } from "./format";

function FolderCounts({ folder }: { folder: LegacyFolder }) {
  return (
    <table class="wz-table" data-testid="legacy-counts">
      <thead>
        <tr>
          <th>Table</th>
          <th class="num">Rows</th>
        </tr>
      </thead>
      <tbody>
        {folder.tables.map((t) => (
          <tr key={t.table}>
            <td>{t.table}</td>
            <td class="num">{count(t.rows)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RunNotice({ runs, onNoData }: { runs: RecordedRun[]; onNoData: () => void }) {
  const mine = runs.find((r) => r.this_device && r.status === "completed");
  if (mine) {
    return (
      <div class="wz-finding ok" data-testid="this-device-migrated">
        <span class="wz-mark" aria-hidden="true">✓</span>
        <div>
          This device already brought its legacy data from <code>{mine.legacy_dir}</code> to this server on{" "}
          {new Date(mine.finished_at ?? mine.started_at).toLocaleString()}: nothing more to do. Migrate again only to bring in rows
          added to the old stores since.{" "}
          <button type="button" class="primary" data-testid="wz-already-migrated" onClick={onNoData}>
            Done
          </button>
        </div>
      </div>
    );
  }
  const other = runs.find((r) => !r.this_device && r.status === "completed");
  if (!other) return null;
  return (
    <div class="wz-finding warn" data-testid="other-device-migrated">
      <span class="wz-mark" aria-hidden="true">i</span>
      <div>
        <strong>{other.device_name || "Another device"}</strong> already migrated its legacy data on{" "}
        {new Date(other.finished_at ?? other.started_at).toLocaleString()}. That data reaches this device by sync; migrate here only if
        this machine has legacy data of its own.
      </div>
    </div>
  );
}

export function LegacyStep({
  onPreview,
  onResume,
  onNoData,
}: {
  onPreview: (dir: string) => void;
  onResume: (dir: string) => void;
  onNoData: () => void;
}) {
  const [scan, rescan] = useAsync(() => wizardApi.scanLegacy(), []);
  const [chosen, setChosen] = useState<LegacyFolder | null>(null);
  const [typed, setTyped] = useState("");
  const [checking, setChecking] = useState(false);
  const [typedError, setTypedError] = useState<string | null>(null);

  if (scan.state === "loading") return <Loading label="Looking for legacy data…" />;
  if (scan.state === "error") return <ErrorState message={scan.message} onRetry={rescan} />;
  const { found, looked_in, runs } = scan.value;
  // Runs come newest first: only this device's latest run, if unfinished, is
  // one to resume (older stopped runs are marked interrupted once resumed).
  const latest = runs.find((r) => r.this_device);
  const interrupted = latest && latest.status !== "completed" ? latest : undefined;
  const selected = chosen ?? (found.length > 0 ? found[0] : null);

  // A typed folder and one chosen in the dialog go through the same check.
  const check = async (path: string) => {
    setChecking(true);
    setTypedError(null);
    try {
      setChosen(await wizardApi.inspectLegacy(path));
    } catch (e) {
      setTypedError(messageOf(e));
    } finally {
      setChecking(false);
    }
  };

  const choose = async () => {
    let path: string | null;
    try {
      path = await wizardApi.chooseLegacyFolder();
    } catch (e) {
      setTypedError(messageOf(e));
      return;
    }
    if (path === null) return; // cancelled: keep what was there
    setTyped(path);
    await check(path);
  };

  return (
    <div class="wz-body">
      <RunNotice runs={runs} onNoData={onNoData} />
      {interrupted && (
        <div class="wz-finding warn" data-testid="resume-notice">
          <span class="wz-mark" aria-hidden="true">↻</span>
          <div>
            A migration from <code>{interrupted.legacy_dir}</code> started {new Date(interrupted.started_at).toLocaleString()} did not
            finish. Everything it committed is kept.{" "}
            <button type="button" class="link" data-testid="wz-resume" onClick={() => onResume(interrupted.legacy_dir)}>
              Resume it
            </button>
          </div>
        </div>
      )}
      {found.length === 0 ? (
        <p class="muted" data-testid="legacy-none-found">
          No legacy data in the usual places ({looked_in.join(", ")}).
        </p>
      ) : (
        <fieldset class="wz-choices">
          <legend>Found</legend>
          {found.map((f) => (
            <label key={f.path} class="wz-choice">
              <input type="radio" name="legacy" checked={selected?.path === f.path} onChange={() => setChosen(f)} />
              <code>{f.path}</code>
            </label>
          ))}
        </fieldset>
      )}
      <form
        class="wz-pathrow"
        onSubmit={(e) => {
          e.preventDefault();
          void check(typed);
        }}
      >
        <label class="wz-wide">
          <span>
            Another folder (the old Noesis project, holding <code>data/memory</code> and <code>data/documents</code>)
          </span>
          <input
            data-testid="wz-legacy-path"
            placeholder="~/myCode/genai-agent-core"
            value={typed}
            onInput={(e) => setTyped(e.currentTarget.value)}
          />
        </label>
        <button type="submit" data-testid="wz-legacy-check" disabled={checking || !typed.trim()}>
          {checking ? "Checking…" : "Check folder"}
        </button>
        <button type="button" data-testid="wz-legacy-choose" disabled={checking} onClick={() => void choose()}>
          Choose folder…
        </button>
      </form>
      {typedError && (
        <div class="wz-finding bad" role="alert" data-testid="legacy-error">
          <span class="wz-mark" aria-hidden="true">✕</span>
          <div>{typedError}</div>
        </div>
      )}
      {selected && (
        <div data-testid="legacy-selected">
          <p class="small muted">
            In <code>{selected.path}</code>:
          </p>
          <FolderCounts folder={selected} />
        </div>
      )}
      <div class="wz-actions">
        <button type="button" data-testid="wz-no-legacy" onClick={onNoData}>
          This machine has no legacy data
        </button>
        <button type="button" class="primary" data-testid="wz-preview" disabled={!selected} onClick={() => selected && onPreview(selected.path)}>
          Preview migration
        </button>
      </div>
    </div>
  );
}
