// Step 6: the report: verification per table, every row imported with a
// change (what changed and why), rejected rows with their reasons and where
// they are kept, and conflicts to review. Ids are shown whole and can be copied.
import { wizardApi } from "./api";
import { RowGroups } from "./RowGroups";
import type { MigrationOutcome } from "./api";
import { useAsync } from "../lib/useAsync";
import { count } from "./format";

export function ReportStep({ outcome, onDone }: { outcome: MigrationOutcome; onDone: () => void }) {
  const [rejects] = useAsync(
    () => wizardApi.rejects().then((groups) => groups.map((g) => ({ table: g.table, why: g.reason, rows: g.rows, ids: g.sample_ids }))),
    [],
  );
  const [changed] = useAsync(() => wizardApi.changedRows(), []);
  const changedRows = changed.state === "ready" ? changed.value.reduce((n, g) => n + g.rows, 0) : 0;
  const conflicts = outcome.tables.reduce((n, t) => n + t.conflicts_recorded, 0);
  return (
    <div class="wz-body">
      <div class={outcome.verified ? "wz-finding ok" : "wz-finding bad"} data-testid="report-verified" data-ok={String(outcome.verified)}>
        <span class="wz-mark" aria-hidden="true">{outcome.verified ? "✓" : "✕"}</span>
        <div>
          {outcome.verified
            ? "Verified: every legacy row is on the server, set aside as a conflict, or kept as a reject."
            : "Verification found rows that are neither on the server nor kept aside: run the migration again (it resumes), or see the table below."}
          {changedRows > 0 && ` ${count(changedRows)} of them were imported with a change, each listed below with what changed and why.`}
          {outcome.cache_rows != null && ` This device's cache now holds ${count(outcome.cache_rows)} rows.`}
        </div>
      </div>
      <table class="wz-table" data-testid="report-table">
        <thead>
          <tr>
            <th>Table</th>
            <th class="num">Legacy rows</th>
            <th class="num">Matching</th>
            <th class="num">Conflicts</th>
            <th class="num">Rejects</th>
            <th class="num">Unaccounted</th>
          </tr>
        </thead>
        <tbody>
          {(outcome.verification ?? []).map((v) => (
            <tr key={v.table} data-table={v.table}>
              <td>
                <span class={v.ok ? "wz-ok" : "wz-bad"} aria-label={v.ok ? "verified" : "not verified"}>
                  {v.ok ? "✓" : "✕"}
                </span>{" "}
                {v.table}
              </td>
              <td class="num">{count(v.source_rows)}</td>
              <td class="num">{count(v.matching)}</td>
              <td class="num">{count(v.in_conflicts)}</td>
              <td class="num">{count(v.in_rejects)}</td>
              <td class={v.unaccounted ? "num bad" : "num"}>{count(v.unaccounted)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {conflicts > 0 && (
        <p data-testid="report-conflicts">
          <strong>{count(conflicts)} conflicts to review:</strong> the newer version is in place; the other is kept on the server (
          <code>noesis_sync.conflicts</code>) and can be restored.
        </p>
      )}
      <div data-testid="report-changed">
        <RowGroups
          groups={changed}
          loading="Loading the rows changed on the way…"
          empty="No row needed a change to be imported."
          intro={
            <>
              <strong>Rows imported with a change:</strong> the server holds them as described; the old stores are untouched.
            </>
          }
          whyHeading="What changed, and why"
          keptIn="noesis_sync.legacy_changes"
          rowTestId="report-changed-group"
        />
      </div>
      <div data-testid="report-rejects">
        <RowGroups
          groups={rejects}
          loading="Loading rejected rows…"
          empty="No rows were rejected."
          intro={
            <>
              <strong>Rejected rows</strong> are kept verbatim on the server in <code>noesis_sync.legacy_rejects</code>, with the reason, so
              they can be repaired and restored:
            </>
          }
          whyHeading="Reason"
          keptIn="noesis_sync.legacy_rejects"
        />
      </div>
      <div class="wz-actions">
        <button type="button" class="primary" data-testid="wz-finish" onClick={onDone} autoFocus>
          Open Noesis
        </button>
      </div>
    </div>
  );
}
