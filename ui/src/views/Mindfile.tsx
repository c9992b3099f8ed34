// The mind file: categories on the left, their entries on the right, each
// with the memory card it came from (click to open it) and an editable note.
// Both reload in place when the cache changes underneath; a note being typed
// is kept. An entry whose central version the Noesis server cannot read is
// marked, so damage done on the server is seen where the entry is.
import { useState } from "preact/hooks";
import { api, messageOf } from "../lib/api";
import type { MindfileEntry } from "../lib/api";
import { formatRelative } from "../lib/format";
import { useAsync } from "../lib/useAsync";
import { useCacheRevision } from "../lib/useCacheRevision";
import { Empty, ErrorState, Loading } from "../components/States";
import { ServerCannotReadReason, useServerUnreadable } from "../components/ServerProblem";
import { label } from "../lib/labels";
import { useHistoryPanel } from "../components/History";

export function MindfileView({ onOpenCard }: { onOpenCard: (id: string) => void }) {
  const [category, setCategory] = useState<string | null>(null);
  const revision = useCacheRevision();
  const [categories, reloadCategories] = useAsync(() => api.mindfileCategories(), [revision]);
  const [entries, reloadEntries] = useAsync(() => api.listMindfileEntries(category), [category, revision]);
  const unreadable = useServerUnreadable("mindfile_entries");
  const total = categories.state === "ready" ? categories.value.reduce((n, c) => n + c.count, 0) : 0;

  return (
    <div class="split">
      <section class="list-pane narrow" aria-label="Mind-file categories">
        <header class="pane-header">
          <h2>Mind file</h2>
        </header>
        {categories.state === "loading" && <Loading />}
        {categories.state === "error" && <ErrorState message={categories.message} onRetry={reloadCategories} />}
        {categories.state === "ready" && (
          <ul class="plain-list" role="listbox" aria-label="Categories">
            <li role="option" aria-selected={category === null} tabIndex={0} class={category === null ? "selected" : ""}
              onClick={() => setCategory(null)} onKeyDown={(e) => e.key === "Enter" && setCategory(null)}>
              <span>All entries</span>
              <span class="badge">{total}</span>
            </li>
            {categories.value.map((c) => (
              <li key={c.value} role="option" aria-selected={category === c.value} tabIndex={0}
                class={category === c.value ? "selected" : ""}
                onClick={() => setCategory(c.value)} onKeyDown={(e) => e.key === "Enter" && setCategory(c.value)}>
                <span class="ellipsis">{label("MemoryCategory", c.value)}</span>
                <span class="badge">{c.count}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section class="detail-pane scroll" aria-label="Mind-file entries">
        {entries.state === "loading" && <Loading label="Loading entries…" />}
        {entries.state === "error" && <ErrorState message={entries.message} onRetry={reloadEntries} />}
        {entries.state === "ready" && entries.value.length === 0 && (
          <Empty title="The mind file is empty">
            Entries are distilled from approved memory cards by the assistant and appear here once they sync.
          </Empty>
        )}
        {entries.state === "ready" &&
          groupByCategory(entries.value).map(([name, group]) => (
            <div key={name} class="group">
              <h2 class="group-title">{label("MemoryCategory", name)}</h2>
              {group.map((entry) => (
                <MindfileItem key={entry.id} entry={entry} onOpenCard={onOpenCard} serverProblem={unreadable.get(entry.id)} />
              ))}
            </div>
          ))}
      </section>
    </div>
  );
}

function groupByCategory(entries: MindfileEntry[]): [string, MindfileEntry[]][] {
  const groups = new Map<string, MindfileEntry[]>();
  for (const e of entries) groups.set(e.category, [...(groups.get(e.category) ?? []), e]);
  return [...groups.entries()];
}

function MindfileItem({ entry, onOpenCard, serverProblem }: {
  entry: MindfileEntry;
  onOpenCard: (id: string) => void;
  /** Why the Noesis server cannot read this entry's central version, if it cannot. */
  serverProblem?: string;
}) {
  const [current, setCurrent] = useState(entry);
  const [note, setNote] = useState(entry.note);
  const [error, setError] = useState<string | null>(null);
  const history = useHistoryPanel("mindfile_entries", entry.id);
  const dirty = note.trim() !== current.note;
  const [shown, setShown] = useState(entry);
  if (entry !== shown) {
    // A reload brought a newer version: show it, and its note unless one is being typed.
    setShown(entry);
    setCurrent(entry);
    if (!dirty) setNote(entry.note);
  }

  const save = async () => {
    try {
      const saved = await api.setMindfileNote(current.id, note);
      setCurrent(saved);
      setNote(saved.note);
      setError(null);
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <div class="entry" data-testid="mindfile-entry">
      {serverProblem && <ServerCannotReadReason reason={serverProblem} what="mind-file entry" />}
      <p class="entry-text">{current.text}</p>
      <div class="entry-source small">
        {current.source_card_text !== null ? (
          <button type="button" class="link" onClick={() => onOpenCard(current.source_memory_card_id)}>
            From card: “{current.source_card_text}”
          </button>
        ) : (
          <span class="muted">Source card {current.source_memory_card_id} is not on this device.</span>
        )}
        <span class="dim"> · updated {formatRelative(current.updated_at)}</span>
        <span> · </span>
        {history.button}
      </div>
      {history.panel}
      <div class="note-row">
        <input
          aria-label="Note"
          placeholder="Add a note…"
          value={note}
          onInput={(e) => setNote((e.currentTarget as HTMLInputElement).value)}
          onKeyDown={(e) => e.key === "Enter" && dirty && void save()}
        />
        {dirty && (
          <button type="button" class="primary" onClick={save}>
            Save note
          </button>
        )}
      </div>
      {error && <div class="inline-error" role="alert">{error}</div>}
    </div>
  );
}
