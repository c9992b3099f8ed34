// Step 6: the report: verification per table, every row imported with a
// change (what changed and why), rejected rows with their reasons and where
// they are kept, and conflicts to review. Ids are shown whole and can be copied.
import { wizardApi } from "./api";
import { IdList } from "./IdList";
import type { MigrationOutcome } from "./api";
import { useAsync } from "../lib/useAsync";
import { count } from "./format";

export function ReportStep({ outcome, onDone }: { outcome: MigrationOutcome; onDone: () => void }) {
  const [rejects] = useAsync(() => wizardApi.rejects(), []);
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
        {changed.state === "loading" && <p class="muted small">Loading the rows changed on the way…</p>}
        {changed.state === "error" && <p class="wz-bad small">{changed.message}</p>}
        {changed.state === "ready" && changed.value.length === 0 && <p class="muted small">No row needed a change to be imported.</p>}
        {changed.state === "ready" && changed.value.length > 0 && (
          <>
            <p>
              <strong>Rows imported with a change:</strong> the server holds them as described; the old stores are untouched.
            </p>
            <table class="wz-table">
              <thead>
                <tr>
                  <th>Table</th>
                  <th>What changed, and why</th>
                  <th class="num">Rows</th>
                  <th>Ids</th>
                </tr>
              </thead>
              <tbody>
                {changed.value.map((g) => (
                  <tr key={g.table + g.change} data-testid="report-changed-group" data-change={g.change}>
                    <td>{g.table}</td>
                    <td>{g.why}</td>
                    <td class="num">{count(g.rows)}</td>
                    <td>
                      <IdList ids={g.ids} more={g.rows - g.ids.length} keptIn="noesis_sync.legacy_changes" />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </div>
      <div data-testid="report-rejects">
        {rejects.state === "loading" && <p class="muted small">Loading rejected rows…</p>}
        {rejects.state === "error" && <p class="wz-bad small">{rejects.message}</p>}
        {rejects.state === "ready" && rejects.value.length === 0 && <p class="muted small">No rows were rejected.</p>}
        {rejects.state === "ready" && rejects.value.length > 0 && (
          <>
            <p>
              <strong>Rejected rows</strong> are kept verbatim on the server in <code>noesis_sync.legacy_rejects</code>, with the reason, so they
              can be repaired and restored:
            </p>
            <table class="wz-table">
              <thead>
                <tr>
                  <th>Table</th>
                  <th>Reason</th>
                  <th class="num">Rows</th>
                  <th>Ids</th>
                </tr>
              </thead>
              <tbody>
                {rejects.value.map((g) => (
                  <tr key={g.table + g.reason}>
                    <td>{g.table}</td>
                    <td>{g.reason}</td>
                    <td class="num">{count(g.rows)}</td>
                    <td>
                      <IdList ids={g.sample_ids} more={g.rows - g.sample_ids.length} keptIn="noesis_sync.legacy_rejects" />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </div>
      <div class="wz-actions">
        <button type="button" class="primary" data-testid="wz-finish" onClick={onDone} autoFocus>
          Open Noesis
        </button>
      </div>
    </div>
  );
}
