// The first-run wizard: server, schema, legacy data, preview, migrate, report,
// then the main window. "Skip for now" is always offered: the app then runs on
// the local cache alone and syncs once a server is set.
import { useState } from "preact/hooks";
import "./wizard.css";
import { wizardApi } from "./api";
import type { MigrationOutcome, ServerForm } from "./api";
import { ServerStep } from "./ServerStep";
import { SchemaStep } from "./SchemaStep";
import { LegacyStep } from "./LegacyStep";
import { PreviewStep } from "./PreviewStep";
import { MigrateStep } from "./MigrateStep";
import { ReportStep } from "./ReportStep";

export type StepName = "server" | "schema" | "legacy" | "preview" | "migrate" | "report";

const STEPS: { name: StepName; label: string; title: string }[] = [
  { name: "server", label: "Server", title: "Connect to your Noesis server" },
  { name: "schema", label: "Schema", title: "Prepare the server" },
  { name: "legacy", label: "Legacy data", title: "Bring in your old Noesis data" },
  { name: "preview", label: "Preview", title: "What the migration would do" },
  { name: "migrate", label: "Migrate", title: "Migrating" },
  { name: "report", label: "Report", title: "Migration report" },
];

export function Wizard({ initialForm, initialStep = "server", onClose }: { initialForm: ServerForm; initialStep?: StepName; onClose: () => void }) {
  const [step, setStep] = useState<StepName>(initialStep);
  const [stored, setStored] = useState<string | null>(null);
  const [legacyDir, setLegacyDir] = useState<string | null>(null);
  const [tableNames, setTableNames] = useState<string[]>([]);
  const [outcome, setOutcome] = useState<MigrationOutcome | null>(null);
  const index = STEPS.findIndex((s) => s.name === step);
  const current = STEPS[index];

  const finish = async () => {
    await wizardApi.dismiss().catch(() => undefined);
    onClose();
  };

  return (
    <div class="wizard" data-testid="wizard" data-step={step}>
      <aside class="wz-steps" aria-label="Setup steps">
        <div class="brand">Noesis</div>
        <ol>
          {STEPS.map((s, i) => (
            <li key={s.name} class={i === index ? "current" : i < index ? "done" : ""} aria-current={i === index ? "step" : undefined}>
              <span class="wz-step-num" aria-hidden="true">
                {i < index ? "✓" : i + 1}
              </span>
              {s.label}
            </li>
          ))}
          <li class={"wz-done-step"}>
            <span class="wz-step-num" aria-hidden="true">
              {STEPS.length + 1}
            </span>
            Done
          </li>
        </ol>
        <div class="spacer" />
        {step !== "migrate" && (
          <button type="button" class="wz-skip" data-testid="wz-skip" onClick={finish} title="Use Noesis on this computer alone; set a server later in Settings">
            Skip for now
          </button>
        )}
      </aside>
      <section class="wz-main" aria-labelledby="wz-title">
        <header class="wz-header">
          <div class="muted small">
            Step {index + 1} of {STEPS.length + 1}
          </div>
          <h1 id="wz-title">{current.title}</h1>
          {step === "server" && (
            <p class="muted">
              Noesis keeps everything on this computer and syncs it through your PostgreSQL server. Without one it works on this computer
              alone.
            </p>
          )}
          {stored && step === "schema" && <p class="muted small" data-testid="wz-stored">Password stored in {stored}.</p>}
        </header>
        {step === "server" && (
          <ServerStep
            initial={initialForm}
            onSaved={(where) => {
              setStored(where);
              setStep("schema");
            }}
          />
        )}
        {step === "schema" && <SchemaStep onNext={() => setStep("legacy")} />}
        {step === "legacy" && (
          <LegacyStep
            onPreview={(dir) => {
              setLegacyDir(dir);
              setStep("preview");
            }}
            onResume={(dir) => {
              setLegacyDir(dir);
              setStep("migrate");
            }}
            onNoData={finish}
          />
        )}
        {step === "preview" && legacyDir && (
          <PreviewStep
            legacyDir={legacyDir}
            onBack={() => setStep("legacy")}
            onMigrate={(preview) => {
              setTableNames(preview.tables.map((t) => t.table));
              setStep("migrate");
            }}
          />
        )}
        {step === "migrate" && legacyDir && (
          <MigrateStep
            legacyDir={legacyDir}
            tableNames={tableNames}
            onFinished={(o) => {
              setOutcome(o);
              setStep("report");
            }}
          />
        )}
        {step === "report" && outcome && <ReportStep outcome={outcome} onDone={finish} />}
      </section>
    </div>
  );
}
