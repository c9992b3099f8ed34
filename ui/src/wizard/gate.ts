// Whether the wizard or the main window shows: the wizard at start when the
// device needs it (see `wizard_start`), and again whenever Settings asks for it
// with `openWizard()`.
import { useEffect, useState } from "preact/hooks";
import { wizardApi } from "./api";
import type { ServerForm } from "./api";

const OPEN_EVENT = "noesis:open-wizard";

/** Reopens the wizard from anywhere (Settings › Server). */
export function openWizard(): void {
  window.dispatchEvent(new Event(OPEN_EVENT));
}

export type WizardGate =
  | { state: "checking" }
  | { state: "closed" }
  | { state: "open"; form: ServerForm; close: () => void };

export function useWizardGate(): WizardGate {
  const [gate, setGate] = useState<{ state: "checking" | "closed" } | { state: "open"; form: ServerForm }>({ state: "checking" });
  useEffect(() => {
    const check = (force: boolean) =>
      wizardApi.start().then(
        (start) => setGate(force || start.show ? { state: "open", form: start.form } : { state: "closed" }),
        // The main window works without the wizard: never block on it.
        () => setGate({ state: "closed" }),
      );
    void check(false);
    const reopen = () => void check(true);
    window.addEventListener(OPEN_EVENT, reopen);
    return () => window.removeEventListener(OPEN_EVENT, reopen);
  }, []);
  if (gate.state === "open") return { ...gate, close: () => setGate({ state: "closed" }) };
  return gate;
}
