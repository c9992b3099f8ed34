// Changing the server from Settings: the wizard's server form (test, then
// save, the password to the keychain) inline, then only the steps that are
// left on the new server (the engine's `wizard_next_step`): its schema, the
// legacy data if this device never migrated to it, or nothing at all.
import { useState } from "preact/hooks";
import { messageOf } from "../lib/api";
import { useAsync } from "../lib/useAsync";
import { wizardApi } from "../wizard/api";
import { openWizard } from "../wizard/gate";
import { ServerStep } from "../wizard/ServerStep";
import { Loading } from "./States";

/** The inline form; `onDone` gets what to tell the user once nothing is left. */
export function ServerChange({ onDone, onCancel }: { onDone: (message: string) => void; onCancel: () => void }) {
  const [start] = useAsync(() => wizardApi.start(), []);
  const [error, setError] = useState<string | null>(null);
  if (start.state === "loading") return <Loading label="Reading the server settings…" />;
  if (start.state === "error") return <p class="error-text" role="alert">{start.message}</p>;

  const saved = async () => {
    try {
      const next = await wizardApi.nextStep();
      if (next.step === "done") {
        const when = new Date(next.run.finished_at ?? next.run.started_at).toLocaleString();
        onDone(`Saved. This device brought its legacy data to this server on ${when}: nothing more to do, sync continues there.`);
      } else {
        openWizard(next.step);
      }
    } catch (e) {
      setError(`Saved, but the server could not be checked: ${messageOf(e)}`);
    }
  };
  return (
    <div class="server-change" data-testid="server-change">
      <ServerStep initial={start.value.form} onSaved={() => void saved()} />
      {error && (
        <p class="error-text" role="alert">
          {error}
        </p>
      )}
      <button type="button" data-testid="server-change-cancel" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}
