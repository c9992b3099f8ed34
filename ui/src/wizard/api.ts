// The wizard's door to Rust: the generated commands unwrapped into values or a
// thrown AppError (as lib/api.ts does for the views), and the
// `wizard://progress` event. Tests replace this module with vi.mock.
import { commands, events } from "../bindings";
import type { CommandError, WizardProgress } from "../bindings";
import { AppError } from "../lib/api";

export type * from "../bindings";

type Result<T> = { status: "ok"; data: T } | { status: "error"; error: CommandError };

async function unwrap<T>(pending: Promise<Result<T>>): Promise<T> {
  const result = await pending;
  if (result.status === "error") throw new AppError(result.error);
  return result.data;
}

export const wizardApi = {
  start: () => unwrap(commands.wizardStart()),
  dismiss: () => unwrap(commands.wizardDismiss()),
  testConnection: (...a: Parameters<typeof commands.wizardTestConnection>) => unwrap(commands.wizardTestConnection(...a)),
  saveServer: (...a: Parameters<typeof commands.wizardSaveServer>) => unwrap(commands.wizardSaveServer(...a)),
  schemaPlan: () => unwrap(commands.wizardSchemaPlan()),
  applySchema: () => unwrap(commands.wizardApplySchema()),
  scanLegacy: () => unwrap(commands.wizardScanLegacy()),
  inspectLegacy: (path: string) => unwrap(commands.wizardInspectLegacy(path)),
  chooseLegacyFolder: () => unwrap(commands.wizardChooseLegacyFolder()),
  preview: (legacyDir: string) => unwrap(commands.wizardPreview(legacyDir)),
  startMigration: (legacyDir: string) => unwrap(commands.wizardStartMigration(legacyDir)),
  cancelMigration: () => unwrap(commands.wizardCancelMigration()),
  rejects: () => unwrap(commands.wizardRejects()),
  changedRows: () => unwrap(commands.wizardChangedRows()),
  nextStep: () => unwrap(commands.wizardNextStep()),
};

/** Calls `handler` with each `wizard://progress` event; returns the unsubscribe. */
export function onWizardProgress(handler: (event: WizardProgress) => void): () => void {
  const pending = events.wizardProgress.listen((event) => handler(event.payload));
  return () => {
    void pending.then((unlisten) => unlisten());
  };
}
