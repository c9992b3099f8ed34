// Step 5: the migration, with a progress bar per table (rows/s and time left).
// Cancel stops safely (committed batches stay); Resume starts again and
// continues after them, also after quitting the app.
import { useEffect, useState } from "preact/hooks";
import { onWizardProgress, wizardApi } from "./api";
import type { MigrationOutcome, WizardProgress } from "./api";
import { messageOf } from "../lib/api";
import { count, duration, percent } from "./format";

type TableProgress = { done: number; total: number; rate: number | null; eta: number | null; state: "waiting" | "running" | "done" };
type RunState = { kind: "running" } | { kind: "cancelled" } | { kind: "failed"; message: string };

/** Folds one progress event into the per-table view. */
export function applyProgress(tables: Record<string, TableProgress>, e: WizardProgress): Record<string, TableProgress> {
  switch (e.kind) {
    case "table_started":
      return { ...tables, [e.table]: { done: 0, total: e.total ?? 0, rate: null, eta: null, state: "running" } };
    case "rows":
      return { ...tables, [e.table]: { done: e.done ?? 0, total: e.total ?? 0, rate: e.rows_per_sec, eta: e.eta_secs, state: "running" } };
    case "table_finished": {
      const t = tables[e.table] ?? { done: 0, total: 0, rate: null, eta: null, state: "done" };
      return { ...tables, [e.table]: { ...t, done: t.total, eta: 0, state: "done" } };
    }
    default:
      return tables;
  }
}

export function MigrateStep({ legacyDir, tableNames, onFinished }: { legacyDir: string; tableNames: string[]; onFinished: (o: MigrationOutcome) => void }) {
  const initial = () => Object.fromEntries(tableNames.map((t) => [t, { done: 0, total: 0, rate: null, eta: null, state: "waiting" } as TableProgress]));
  const [tables, setTables] = useState<Record<string, TableProgress>>(initial);
  const [step, setStep] = useState("Starting…");
  const [run, setRun] = useState<RunState>({ kind: "running" });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const stop = onWizardProgress((e) => {
      setTables((t) => applyProgress(t, e));
      if (e.kind === "step") setStep(e.message);
      if (e.kind === "table_started") setStep(`Migrating ${e.table}`);
      if (e.kind === "finished") onFinished(e.outcome);
      if (e.kind === "failed") setRun({ kind: "failed", message: e.message });
      if (e.kind === "cancelled") setRun({ kind: "cancelled" });
    });
    setRun({ kind: "running" });
    wizardApi.startMigration(legacyDir).catch((e) => setRun({ kind: "failed", message: messageOf(e) }));
    return stop;
  }, [legacyDir, attempt]);

  const names = Array.from(new Set([...tableNames, ...Object.keys(tables)]));
  return (
    <div class="wz-body">
      <p class="muted small" data-testid="migrate-step" aria-live="polite">
        {run.kind === "running" ? step : run.kind === "cancelled" ? "Stopped." : "The migration stopped with an error."}
      </p>
      <div class="wz-progress-list">
        {names.map((name) => {
          const t = tables[name] ?? { done: 0, total: 0, rate: null, eta: null, state: "waiting" };
          const pct = t.state === "waiting" ? 0 : percent(t.done, t.total);
          return (
            <div key={name} class="wz-progress" data-testid={`progress-${name}`} data-state={t.state}>
              <div class="wz-progress-head">
                <span>{name}</span>
                <span class="muted small">
                  {t.state === "waiting"
                    ? "waiting"
                    : t.state === "done"
                      ? t.total > 0
                        ? `${count(t.total)} rows · done`
                        : "done (committed before)"
                      : run.kind !== "running"
                        ? `${count(t.done)} of ${count(t.total)} · stopped`
                        : `${count(t.done)} of ${count(t.total)} · ${t.rate ? `${count(Math.round(t.rate))} rows/s` : "…"} · ${duration(t.eta)} left`}
                </span>
              </div>
              <div class="wz-bar" role="progressbar" aria-label={name} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
                <div class="wz-bar-fill" style={{ width: `${pct}%` }} />
              </div>
            </div>
          );
        })}
      </div>
      {run.kind === "cancelled" && (
        <div class="wz-finding warn" data-testid="migrate-cancelled">
          <span class="wz-mark" aria-hidden="true">!</span>
          <div>Stopped safely. Everything committed so far is kept; Resume continues where it stopped, now or after quitting the app.</div>
        </div>
      )}
      {run.kind === "failed" && (
        <div class="wz-finding bad" role="alert" data-testid="migrate-failed">
          <span class="wz-mark" aria-hidden="true">✕</span>
          <div>{run.message}</div>
        </div>
      )}
      <div class="wz-actions">
        {run.kind === "running" ? (
          <button type="button" data-testid="wz-cancel" onClick={() => void wizardApi.cancelMigration()}>
            Cancel
          </button>
        ) : (
          <button
            type="button"
            class="primary"
            data-testid="wz-resume-run"
            onClick={() => {
              setStep("Resuming…");
              setAttempt((a) => a + 1);
            }}
          >
            Resume
          </button>
        )}
      </div>
    </div>
  );
}
