// The front end's only door to Rust: the generated, typed commands and events
// (bindings.ts), with command results unwrapped so views can `await` values
// and catch one error type. Tests replace this module with vi.mock.
import { commands, events } from "../bindings";
import type { CommandError, ErrorCode, SyncStatus } from "../bindings";

export type * from "../bindings";

/** A failed command: a stable code to branch on (a type, never a string to
 * compare by hand), and a message for people. */
export class AppError extends Error {
  readonly code: ErrorCode;
  constructor(error: CommandError) {
    super(error.message);
    this.code = error.code;
  }
}

type Result<T> = { status: "ok"; data: T } | { status: "error"; error: CommandError };

async function unwrap<T>(pending: Promise<Result<T>>): Promise<T> {
  const result = await pending;
  if (result.status === "error") throw new AppError(result.error);
  return result.data;
}

/** Every command, returning plain values and throwing AppError. */
export const api = {
  listCards: (...a: Parameters<typeof commands.listCards>) => unwrap(commands.listCards(...a)),
  countCards: (...a: Parameters<typeof commands.countCards>) => unwrap(commands.countCards(...a)),
  searchCards: (...a: Parameters<typeof commands.searchCards>) => unwrap(commands.searchCards(...a)),
  countCardMatches: (...a: Parameters<typeof commands.countCardMatches>) => unwrap(commands.countCardMatches(...a)),
  cardFacets: () => unwrap(commands.cardFacets()),
  getCard: (id: string) => unwrap(commands.getCard(id)),
  createCard: (...a: Parameters<typeof commands.createCard>) => unwrap(commands.createCard(...a)),
  updateCard: (...a: Parameters<typeof commands.updateCard>) => unwrap(commands.updateCard(...a)),
  setCardApproval: (...a: Parameters<typeof commands.setCardApproval>) => unwrap(commands.setCardApproval(...a)),
  deleteCard: (id: string) => unwrap(commands.deleteCard(id)),
  listChatSessions: (limit: number) => unwrap(commands.listChatSessions(limit)),
  getChatSession: (id: string) => unwrap(commands.getChatSession(id)),
  renameChatSession: (id: string, title: string) => unwrap(commands.renameChatSession(id, title)),
  deleteChatSession: (id: string) => unwrap(commands.deleteChatSession(id)),
  mindfileCategories: () => unwrap(commands.mindfileCategories()),
  listMindfileEntries: (category: string | null) => unwrap(commands.listMindfileEntries(category)),
  setMindfileNote: (id: string, note: string) => unwrap(commands.setMindfileNote(id, note)),
  addCardToMindfile: (cardId: string) => unwrap(commands.addCardToMindfile(cardId)),
  listDocuments: () => unwrap(commands.listDocuments()),
  updateDocument: (...a: Parameters<typeof commands.updateDocument>) => unwrap(commands.updateDocument(...a)),
  documentChunks: (...a: Parameters<typeof commands.documentChunks>) => unwrap(commands.documentChunks(...a)),
  getSettings: () => unwrap(commands.getSettings()),
  setDeviceName: (name: string) => unwrap(commands.setDeviceName(name)),
  syncStatus: () => unwrap(commands.syncStatus()),
  syncNow: () => unwrap(commands.syncNow()),
  setSyncPaused: (paused: boolean) => unwrap(commands.setSyncPaused(paused)),
  listNotAccepted: () => unwrap(commands.listNotAccepted()),
  listHeldDeletions: () => unwrap(commands.listHeldDeletions()),
  listUnreadableCentral: () => unwrap(commands.listUnreadableCentral()),
  centralProblem: (table: string, id: string) => unwrap(commands.centralProblem(table, id)),
  resolveHeldDeletions: (...a: Parameters<typeof commands.resolveHeldDeletions>) =>
    unwrap(commands.resolveHeldDeletions(...a)),
  listConflicts: () => unwrap(commands.listConflicts()),
  resolveConflict: (...a: Parameters<typeof commands.resolveConflict>) => unwrap(commands.resolveConflict(...a)),
  resolveConflictMerged: (...a: Parameters<typeof commands.resolveConflictMerged>) =>
    unwrap(commands.resolveConflictMerged(...a)),
  rowHistory: (table: string, id: string) => unwrap(commands.rowHistory(table, id)),
  listTrash: () => unwrap(commands.listTrash()),
  restoreVersion: (table: string, id: string, version: string) => unwrap(commands.restoreVersion(table, id, version)),
  undeleteRow: (table: string, id: string) => unwrap(commands.undeleteRow(table, id)),
  getPreferences: () => unwrap(commands.getPreferences()),
  setLogLevel: (level: string) => unwrap(commands.setLogLevel(level)),
  setCloseToTray: (keep: boolean) => unwrap(commands.setCloseToTray(keep)),
  openLogsFolder: () => unwrap(commands.openLogsFolder()),
  setStartAtLogin: (enabled: boolean) => unwrap(commands.setStartAtLogin(enabled)),
  relatedItems: (id: string, limit: number) => unwrap(commands.relatedItems(id, limit)),
};

/** Calls `handler` with each `sync://status` report; returns the unsubscribe. */
export function onSyncStatus(handler: (status: SyncStatus) => void): () => void {
  const pending = events.syncStatus.listen((event) => handler(event.payload));
  return () => {
    void pending.then((unlisten) => unlisten());
  };
}

/** Calls `handler` on each `cache://changed`: another connection (a pull by
 *  the sync agent, another program) changed the local cache's data. Returns
 *  the unsubscribe. Views use it through `useCacheRevision`. */
export function onCacheChanged(handler: () => void): () => void {
  const pending = events.cacheChanged.listen(() => handler());
  return () => {
    void pending.then((unlisten) => unlisten());
  };
}

/** The message to show for anything a command or the IPC layer threw. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
