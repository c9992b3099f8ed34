// Whether the wizard or the main window shows: the wizard at start when the
// device needs it (see `wizard_start`), and again whenever Settings asks for it
// with `openWizard()`.
import { useEffect, useState } from "preact/hooks";
import { wizardApi } from "./api";
import type { ServerForm } from "./api";
import type { StepName } from "./Wizard";

const OPEN_EVENT = "noesis:open-wizard";

/** Reopens the wizard from anywhere (Settings › Server), at `step` when only
 *  the steps from there on are left (a server changed in Settings). */
export function openWizard(step: StepName = "server"): void {
  window.dispatchEvent(new CustomEvent<StepName>(OPEN_EVENT, { detail: step }));
}

export type WizardGate =
  | { state: "checking" }
  | { state: "closed" }
  | { state: "open"; form: ServerForm; step: StepName; close: () => void };

export function useWizardGate(): WizardGate {
  const [gate, setGate] = useState<{ state: "checking" | "closed" } | { state: "open"; form: ServerForm; step: StepName }>({
    state: "checking",
  });
  useEffect(() => {
    const check = (force: boolean, step: StepName) =>
      wizardApi.start().then(
        (start) => setGate(force || start.show ? { state: "open", form: start.form, step } : { state: "closed" }),
        // The main window works without the wizard: never block on it.
        () => setGate({ state: "closed" }),
      );
    void check(false, "server");
    const reopen = (event: Event) => void check(true, (event as CustomEvent<StepName>).detail ?? "server");
    window.addEventListener(OPEN_EVENT, reopen);
    return () => window.removeEventListener(OPEN_EVENT, reopen);
  }, []);
  if (gate.state === "open") return { ...gate, close: () => setGate({ state: "closed" }) };
  return gate;
}
