// Step 4: the dry run, per table: insert / unchanged / conflict / reject.
// Nothing is written on the server.
import { wizardApi } from "./api";
import type { MigrationOutcome } from "./api";
import { useAsync } from "../lib/useAsync";
import { ErrorState, Loading } from "../components/States";
import { count } from "./format";

export function PreviewStep({ legacyDir, onBack, onMigrate }: { legacyDir: string; onBack: () => void; onMigrate: (preview: MigrationOutcome) => void }) {
  const [preview, reload] = useAsync(() => wizardApi.preview(legacyDir), [legacyDir]);
  if (preview.state === "loading") return <Loading label="Reading the legacy stores (nothing is written)…" />;
  if (preview.state === "error") return <ErrorState message={preview.message} onRetry={reload} />;
  const outcome = preview.value;
  return (
    <div class="wz-body">
      <p>
        What migrating <code>{legacyDir}</code> would do. Nothing has been written yet.
      </p>
      <table class="wz-table" data-testid="preview-table">
        <thead>
          <tr>
            <th>Table</th>
            <th class="num">Insert</th>
            <th class="num">Unchanged</th>
            <th class="num">Conflict</th>
            <th class="num">Reject</th>
          </tr>
        </thead>
        <tbody>
          {outcome.tables.map((t) => (
            <tr key={t.table} data-table={t.table}>
              <td>{t.table}</td>
              <td class="num">{count(t.inserted)}</td>
              <td class="num">{count(t.unchanged)}</td>
              <td class={t.conflicted ? "num warn" : "num"}>{count(t.conflicted)}</td>
              <td class={t.rejected ? "num warn" : "num"}>{count(t.rejected)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="muted small">
        Conflicts keep the newer version and set the other aside for review; rejected rows are kept verbatim on the server with the
        reason, never dropped.
      </p>
      <div class="wz-actions">
        <button type="button" onClick={onBack}>
          Back
        </button>
        <button type="button" class="primary" data-testid="wz-migrate" onClick={() => onMigrate(outcome)} autoFocus>
          Migrate
        </button>
      </div>
    </div>
  );
}
