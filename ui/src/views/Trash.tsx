// The Trash: cards, mind-file entries, chats and documents deleted on any
// device or by the Noesis server, each as it was, who deleted it and when,
// with search and Restore (which syncs like a new item). Offline it lists
// what this device read last.
import { useState } from "preact/hooks";
import { api, messageOf } from "../lib/api";
import type { TrashItem } from "../lib/api";
import { formatDate, tableLabel } from "../lib/format";
import { useAsync } from "../lib/useAsync";
import { Empty, ErrorState, Loading } from "../components/States";

/** Items whose title, kind or id contain every word of `query`. */
export function matching(items: TrashItem[], query: string): TrashItem[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return items;
  return items.filter((item) => {
    const text = `${item.last.title} ${tableLabel(item.table)} ${item.row_id}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
}

export function TrashView({ onChanged }: { onChanged?: () => void }) {
  const [trash, reload] = useAsync(() => api.listTrash(), []);
  const [query, setQuery] = useState("");
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  // Restored here: back in this device's cache at once, while the server
  // still lists them until the agent's push reaches it.
  const [restored, setRestored] = useState<ReadonlySet<string>>(new Set());

  if (trash.state === "loading") return <Loading label="Reading the trash…" />;
  if (trash.state === "error") return <ErrorState message={trash.message} onRetry={reload} />;
  const { offline_since } = trash.value;
  const items = trash.value.items.filter((i) => !restored.has(`${i.table}/${i.row_id}`));
  const shown = matching(items, query);

  const restore = async (item: TrashItem) => {
    setBusy(`${item.table}/${item.row_id}`);
    setMessage(null);
    try {
      await api.undeleteRow(item.table, item.row_id);
      setRestored((r) => new Set(r).add(`${item.table}/${item.row_id}`));
      setMessage(`Restored “${item.last.title}”; it syncs now.`);
      reload();
      onChanged?.();
    } catch (e) {
      setMessage(messageOf(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <div class="trash" data-testid="trash">
      <div class="conflicts-head">
        <h1>Trash</h1>
        <span class="muted" data-testid="trash-count">
          {items.length === 1 ? "1 deleted item" : `${items.length} deleted items`}
        </span>
        {message && (
          <span class="muted" role="status" data-testid="trash-message">
            {message}
          </span>
        )}
      </div>
      {offline_since !== null && (
        <div class="inline-note" role="status" data-testid="trash-offline">
          {offline_since
            ? `Offline: the trash as this device read it ${formatDate(offline_since)}. Restoring needs the server.`
            : "Offline: the trash is kept by the server, which cannot be reached now."}
        </div>
      )}
      <input
        type="search"
        class="search"
        placeholder="Search the trash"
        aria-label="Search the trash"
        data-testid="trash-search"
        value={query}
        onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
      />
      {items.length === 0 ? (
        <Empty title="The trash is empty">
          Cards, mind-file entries, chats and documents deleted on any device, or by the Noesis server, appear here until
          the server's history retention purges them.
        </Empty>
      ) : shown.length === 0 ? (
        <Empty title="Nothing in the trash matches" />
      ) : (
        <ul class="trash-list">
          {shown.map((item) => (
            <li key={`${item.table}/${item.row_id}`} class="trash-item" data-testid="trash-item" data-row-id={item.row_id}>
              <div class="version-head">
                <span class="pill">{tableLabel(item.table)}</span>
                <span class="muted">
                  Deleted {formatDate(item.last.replaced_at)} by {item.last.by}
                </span>
                <span class="spacer" />
                <button
                  type="button"
                  data-testid="trash-restore"
                  disabled={busy !== null || offline_since !== null}
                  onClick={() => void restore(item)}
                >
                  Restore
                </button>
              </div>
              <div class="version-title">{item.last.title}</div>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
