// The main window: a sidebar of views with the sync indicator at its foot,
// and the selected view. Ctrl/Cmd+1…6 switch views.
import { useEffect, useState } from "preact/hooks";
import { api, onSyncStatus } from "./lib/api";
import type { SyncStatus } from "./lib/api";
import { SyncIndicator } from "./components/SyncIndicator";
import { CardsView } from "./views/Cards";
import { ChatsView } from "./views/Chats";
import { MindfileView } from "./views/Mindfile";
import { DocumentsView } from "./views/Documents";
import { SettingsView } from "./views/Settings";
import { useWizardGate } from "./wizard/gate";
import { Wizard } from "./wizard/Wizard";
import { ConflictsView } from "./views/Conflicts";
import { TrashView } from "./views/Trash";

export type ViewName = "cards" | "chats" | "mindfile" | "documents" | "trash" | "settings" | "conflicts";

const VIEWS: { name: ViewName; label: string; icon: string }[] = [
  { name: "cards", label: "Memory cards", icon: "▤" },
  { name: "chats", label: "Chats", icon: "✉" },
  { name: "mindfile", label: "Mind file", icon: "◎" },
  { name: "documents", label: "Documents", icon: "▦" },
  { name: "trash", label: "Trash", icon: "⌫" },
  { name: "settings", label: "Settings", icon: "⚙" },
];

/** How many items the Trash holds (the server's count, or the last one this
 *  device read); `null` until known or when it cannot be read. */
function useTrashCount(view: ViewName): [number | null, () => void] {
  const [count, setCount] = useState<number | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    api.listTrash().then(
      (t) => setCount(t.items.length),
      () => setCount(null),
    );
  }, [view === "trash", tick]);
  return [count, () => setTick((t) => t + 1)];
}

/** The sync status: the current value first, then every `sync://status` report. */
function useSyncStatus(): SyncStatus | null {
  const [status, setStatus] = useState<SyncStatus | null>(null);
  useEffect(() => {
    api.syncStatus().then(setStatus, () => setStatus(null));
    return onSyncStatus(setStatus);
  }, []);
  return status;
}

export function App() {
  const [view, setView] = useState<ViewName>("cards");
  const [focusCard, setFocusCard] = useState<string | null>(null);
  const sync = useSyncStatus();
  const wizard = useWizardGate();
  const [trashCount, refreshTrashCount] = useTrashCount(view);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!(event.ctrlKey || event.metaKey)) return;
      const index = Number(event.key) - 1;
      if (index >= 0 && index < VIEWS.length) {
        event.preventDefault();
        setView(VIEWS[index].name);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  if (wizard.state === "checking") return null;
  if (wizard.state === "open") return <Wizard initialForm={wizard.form} initialStep={wizard.step} onClose={wizard.close} />;
  return (
    <div class="app">
      <nav class="sidebar" aria-label="Views">
        <div class="brand">Noesis</div>
        {VIEWS.map((v, i) => (
          <button
            key={v.name}
            type="button"
            class={view === v.name ? "nav-item active" : "nav-item"}
            aria-current={view === v.name ? "page" : undefined}
            data-testid={`nav-${v.name}`}
            title={`${v.label} (Ctrl+${i + 1})`}
            onClick={() => setView(v.name)}
          >
            <span class="nav-icon" aria-hidden="true">
              {v.icon}
            </span>
            {v.label}
            {v.name === "trash" && trashCount !== null && trashCount > 0 && (
              <span class="badge nav-count" data-testid="trash-nav-count">
                {trashCount}
              </span>
            )}
          </button>
        ))}
        <div class="spacer" />
        <SyncIndicator status={sync} onOpenConflicts={() => setView("conflicts")} />
      </nav>
      <main class="content">
        {view === "cards" && <CardsView focusCardId={focusCard} />}
        {view === "chats" && <ChatsView />}
        {view === "mindfile" && (
          <MindfileView
            onOpenCard={(id) => {
              setFocusCard(id);
              setView("cards");
            }}
          />
        )}
        {view === "documents" && <DocumentsView />}
        {view === "trash" && <TrashView onChanged={refreshTrashCount} />}
        {view === "settings" && <SettingsView sync={sync} />}
        {view === "conflicts" && <ConflictsView />}
      </main>
    </div>
  );
}
