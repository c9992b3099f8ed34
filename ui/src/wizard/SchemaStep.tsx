// Step 2: whether the central schema is current, what applying it would add
// (additive only), and applying it.
import { useState } from "preact/hooks";
import { wizardApi } from "./api";
import type { SchemaPlan } from "./api";
import { useAsync } from "../lib/useAsync";
import { ErrorState, Loading } from "../components/States";
import { messageOf } from "../lib/api";

export function SchemaStep({ onNext }: { onNext: () => void }) {
  const [loaded, reload, setPlan] = useAsync(() => wizardApi.schemaPlan(), []);
  const [applied, setApplied] = useState(false);
  const [applying, setApplying] = useState(false);
  const [error, setError] = useState<string | null>(null);

  if (loaded.state === "loading") return <Loading label="Reading the server's schema…" />;
  if (loaded.state === "error") return <ErrorState message={loaded.message} onRetry={reload} />;
  const plan: SchemaPlan = loaded.value;
  const apply = async () => {
    setApplying(true);
    setError(null);
    try {
      setPlan(await wizardApi.applySchema());
      setApplied(true);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setApplying(false);
    }
  };

  return (
    <div class="wz-body" data-testid="schema-plan" data-current={String(plan.current)}>
      {plan.current ? (
        <div class="wz-finding ok">
          <span class="wz-mark" aria-hidden="true">✓</span>
          <div>
            <strong>The schema is current</strong> (version {plan.schema_version}).
            {applied && " Applied just now."}
          </div>
        </div>
      ) : (
        <>
          <p>
            {plan.schema_version == null
              ? "The Noesis sync schema is not on this server yet."
              : `The server's schema is version ${plan.schema_version}; this app needs ${plan.target_version}.`}{" "}
            Applying it adds:
          </p>
          <ul class="wz-changes">
            {plan.changes.map((c) => (
              <li key={c.migration}>{c.adds}</li>
            ))}
            {plan.adds_embeddings && <li>The pgvector embeddings table (the extension is available).</li>}
          </ul>
          <p class="muted small">
            Additive only: nothing is dropped or rewritten, and the Python server keeps working.
            {plan.existing_tables.length > 0 && ` Existing tables kept as they are: ${plan.existing_tables.join(", ")}.`}
          </p>
        </>
      )}
      {error && (
        <div class="wz-finding bad" role="alert">
          <span class="wz-mark" aria-hidden="true">✕</span>
          <div>{error}</div>
        </div>
      )}
      <div class="wz-actions">
        {plan.current ? (
          <button type="button" class="primary" data-testid="wz-schema-next" onClick={onNext} autoFocus>
            Continue
          </button>
        ) : (
          <button type="button" class="primary" data-testid="wz-apply" onClick={apply} disabled={applying} autoFocus>
            {applying ? "Applying…" : "Apply schema"}
          </button>
        )}
      </div>
    </div>
  );
}
