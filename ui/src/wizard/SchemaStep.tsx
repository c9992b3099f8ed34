// Step 2: whether the server has the sync's bookkeeping, what applying it
// adds, and applying it. The main text says it in a user's words (what it is
// for, that the Python server is untouched, who must apply it); each
// migration's technical summary waits behind "Details" for the database
// owner who wants to check.
import { useState } from "preact/hooks";
import { wizardApi } from "./api";
import type { SchemaPlan } from "./api";
import { useAsync } from "../lib/useAsync";
import { ErrorState, Loading } from "../components/States";
import { messageOf } from "../lib/api";

/** The first sentence: a first installation or an upgrade. */
function situation(plan: SchemaPlan): string {
  return plan.schema_version == null
    ? "Before this device can sync, the server needs a place for Noesis Desktop's bookkeeping."
    : `The server's sync bookkeeping is version ${plan.schema_version}; this app needs version ${plan.target_version}.`;
}

/** What applying does, in plain words, for a plan that is not current. */
function Explanation({ plan }: { plan: SchemaPlan }) {
  const createsTables = plan.existing_tables.length === 0;
  return (
    <div class="wz-explain" data-testid="schema-explain">
      <p>{situation(plan)}</p>
      <ul class="wz-changes">
        <li>
          <strong>What it adds:</strong> a separate area named <code>noesis_sync</code>, next to the Noesis tables. There
          Noesis Desktop notes which device changed what and when, keeps earlier versions of each item and sets aside
          conflicting edits, so your devices can sync, keep history and a trash, and resolve conflicts.
          {createsTables && " The Noesis tables themselves are not on this server yet, so it creates them too, exactly as the Python server would."}
          {plan.adds_embeddings && " With pgvector available, it also adds a table for finding related items."}
        </li>
        <li>
          <strong>The Python server keeps working unchanged:</strong> it reads and writes its tables as before; the
          bookkeeping only records what changes.
        </li>
        <li>
          <strong>Nothing is dropped or rewritten:</strong> every existing table and row stays as it is.
          {!createsTables && ` Kept as they are: ${plan.existing_tables.join(", ")}.`}
        </li>
        <li>
          <strong>Who applies it:</strong> the database owner (the PostgreSQL user that owns the Noesis tables), once
          per server; other devices then only connect. If you connected as another user, applying stops and says what
          is missing: ask the owner to apply it, here or with <code>noesis-sync setup</code> on any machine, then choose{" "}
          <em>Check again</em>. Meanwhile <em>Skip for now</em> opens the app on this device alone, without sync.
        </li>
      </ul>
    </div>
  );
}

/** Each migration still to run with its technical summary, folded away. */
function Details({ plan }: { plan: SchemaPlan }) {
  return (
    <details class="wz-details" data-testid="schema-details">
      <summary>Details</summary>
      <p class="muted small">
        {plan.changes.length === 1 ? "One migration" : `${plan.changes.length} migrations`} to version{" "}
        {plan.target_version}, each additive:
      </p>
      <ul class="wz-changes small" data-testid="schema-changes">
        {plan.changes.map((c) => (
          <li key={c.migration} data-migration={c.migration}>
            {c.adds}
          </li>
        ))}
        {plan.adds_embeddings && <li>The pgvector embeddings table (the extension is available).</li>}
      </ul>
    </details>
  );
}

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
  const checkAgain = () => {
    setError(null);
    reload();
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
          <Explanation plan={plan} />
          <Details plan={plan} />
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
          <>
            {error && (
              <button type="button" data-testid="wz-schema-recheck" onClick={checkAgain}>
                Check again
              </button>
            )}
            <button type="button" class="primary" data-testid="wz-apply" onClick={apply} disabled={applying} autoFocus>
              {applying ? "Applying…" : "Apply schema"}
            </button>
          </>
        )}
      </div>
    </div>
  );
}
