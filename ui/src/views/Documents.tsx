// Documents: the list (status, size, chunks), one document's details with
// editable tags and notes, and its chunks read in pages, each with "Related"
// on demand (one server query per chunk the user asks about, not per chunk shown).
// The list and the chunks reload in place when the cache changes underneath;
// tags and notes being edited are kept.
import { useState } from "preact/hooks";
import { label } from "../lib/labels";
import { ServerCannotRead } from "../components/ServerProblem";
import { api, messageOf } from "../lib/api";
import type { Document, DocumentChunk } from "../lib/api";
import { formatBytes, formatDate, parseTags, plural } from "../lib/format";
import { useAsync } from "../lib/useAsync";
import { useCacheRevision } from "../lib/useCacheRevision";
import { VirtualList } from "../components/VirtualList";
import { Empty, ErrorState, Loading } from "../components/States";
import { Related } from "../components/Related";
import { useHistoryPanel } from "../components/History";

/** Chunks fetched per "Show more": a few pages of a book. */
const CHUNK_PAGE = 50;

export function DocumentsView() {
  const revision = useCacheRevision();
  const [docs, reload, setDocs] = useAsync(() => api.listDocuments(), [revision]);
  const [selected, setSelected] = useState<string | null>(null);
  const current = docs.state === "ready" ? docs.value.find((d) => d.id === selected) ?? null : null;

  return (
    <div class="split">
      <section class="list-pane" aria-label="Documents">
        <header class="pane-header">
          <h2>Documents</h2>
          {docs.state === "ready" && <span class="muted">{plural(docs.value.length, "document")}</span>}
        </header>
        {docs.state === "loading" && <Loading label="Loading documents…" />}
        {docs.state === "error" && <ErrorState message={docs.message} onRetry={reload} />}
        {docs.state === "ready" && docs.value.length === 0 && (
          <Empty title="No documents">Documents you add to Noesis on the server appear here once they sync.</Empty>
        )}
        {docs.state === "ready" && docs.value.length > 0 && (
          <VirtualList
            items={docs.value}
            rowHeight={60}
            keyOf={(d) => d.id}
            selectedKey={selected}
            onSelect={(d) => setSelected(d.id)}
            label="Documents"
            renderRow={(d) => (
              <div class="card-row" data-testid="document-row">
                <div class="row-title">
                  <span class="ellipsis">{d.filename}</span>
                  <span class={`pill status-${d.status}`}>{label("DocumentStatus", d.status)}</span>
                </div>
                <div class="card-row-meta">
                  <span>{label("DocumentType", d.file_type)}</span>
                  <span class="dim">·</span>
                  <span>{formatBytes(d.file_size)}</span>
                  <span class="dim">·</span>
                  <span>{plural(d.chunk_count, "chunk")}</span>
                  <span class="spacer" />
                  <span class="ellipsis dim">{d.tags.join(", ")}</span>
                </div>
              </div>
            )}
          />
        )}
      </section>
      <section class="detail-pane scroll" aria-label="Document">
        {current ? (
          <DocumentDetail
            key={current.id}
            doc={current}
            onSaved={(d) => docs.state === "ready" && setDocs(docs.value.map((x) => (x.id === d.id ? d : x)))}
          />
        ) : (
          <Empty title="No document selected">Select a document to see its details and chunks.</Empty>
        )}
      </section>
    </div>
  );
}

function DocumentDetail({ doc, onSaved }: { doc: Document; onSaved: (d: Document) => void }) {
  const [tags, setTags] = useState(doc.tags.join(", "));
  const [notes, setNotes] = useState(doc.notes);
  const [status, setStatus] = useState<string | null>(null);
  const history = useHistoryPanel("documents", doc.id);
  const dirty = tags !== doc.tags.join(", ") || notes !== doc.notes;
  const [shown, setShown] = useState(doc);
  if (doc !== shown) {
    // A reload brought a newer version: take its tags, and its notes, unless
    // the user has changed that field here.
    setShown(doc);
    if (tags === shown.tags.join(", ")) setTags(doc.tags.join(", "));
    if (notes === shown.notes) setNotes(doc.notes);
  }

  const save = async (event: Event) => {
    event.preventDefault();
    try {
      const saved = await api.updateDocument(doc.id, parseTags(tags), notes);
      onSaved(saved);
      setTags(saved.tags.join(", "));
      setNotes(saved.notes);
      setStatus("Saved");
    } catch (e) {
      setStatus(messageOf(e));
    }
  };

  return (
    <article class="detail" data-testid="document-detail">
      <ServerCannotRead table="documents" id={doc.id} what="document" />
      <div class="detail-head">
        <h1 class="ellipsis">{doc.filename}</h1>
        <span class="spacer" />
        {history.button}
      </div>
      {history.panel}
      <dl class="meta">
        <dt>Status</dt>
        <dd>
          <span class={`pill status-${doc.status}`}>{label("DocumentStatus", doc.status)}</span>
          {doc.error_message && <span class="inline-error"> {doc.error_message}</span>}
        </dd>
        <dt>Size</dt>
        <dd>{formatBytes(doc.file_size)}</dd>
        <dt>Type</dt>
        <dd>{label("DocumentType", doc.file_type)}</dd>
        <dt>Added</dt>
        <dd>{formatDate(doc.created_at)}</dd>
        <dt>Path</dt>
        <dd>
          <code>{doc.filepath}</code>
        </dd>
      </dl>
      <form class="card-form" onSubmit={save}>
        <label>
          Tags, separated by commas
          <input value={tags} onInput={(e) => setTags((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label>
          Notes
          <textarea rows={3} value={notes} onInput={(e) => setNotes((e.currentTarget as HTMLTextAreaElement).value)} />
        </label>
        <div class="actions">
          <button type="submit" class="primary" disabled={!dirty}>
            Save
          </button>
          {status && <span class="muted">{status}</span>}
        </div>
      </form>
      <h2>Chunks</h2>
      <Chunks documentId={doc.id} total={doc.chunk_count} />
    </article>
  );
}

function Chunks({ documentId, total }: { documentId: string; total: number }) {
  const [extra, setExtra] = useState<DocumentChunk[]>([]);
  const revision = useCacheRevision();
  const [first, reload] = useAsync(() => api.documentChunks(documentId, 0, CHUNK_PAGE), [documentId, revision]);
  const [more, setMore] = useState<string | null>(null);
  const [relatedOpen, setRelatedOpen] = useState<string | null>(null);

  if (first.state === "loading") return <Loading label="Loading chunks…" />;
  if (first.state === "error") return <ErrorState message={first.message} onRetry={reload} />;
  const chunks = [...first.value, ...extra];
  if (chunks.length === 0) return <Empty title="No chunks on this device" />;
  const last = chunks[chunks.length - 1].chunk_index;

  const loadMore = async () => {
    try {
      setExtra([...extra, ...(await api.documentChunks(documentId, last + 1, CHUNK_PAGE))]);
      setMore(null);
    } catch (e) {
      setMore(messageOf(e));
    }
  };

  return (
    <div class="chunks">
      {chunks.map((c) => (
        <div key={c.id} class="chunk" data-testid="chunk" data-chunk-id={c.id}>
          <div class="chunk-head small muted">
            #{c.chunk_index + 1}
            {c.page_number > 0 && ` · page ${c.page_number}`}
            {c.heading && ` · ${c.heading}`}
            <button
              type="button"
              class="link chunk-related-toggle"
              aria-expanded={relatedOpen === c.id}
              data-testid="chunk-related-toggle"
              onClick={() => setRelatedOpen(relatedOpen === c.id ? null : c.id)}
            >
              {relatedOpen === c.id ? "Hide related" : "Related"}
            </button>
          </div>
          <p>{c.text}</p>
          {c.image_caption && <p class="small muted">Image: {c.image_caption}</p>}
          {c.ocr_text && <p class="small muted">Text in image: {c.ocr_text}</p>}
          {relatedOpen === c.id && <Related id={c.id} />}
        </div>
      ))}
      {chunks.length < total && (
        <button type="button" onClick={loadMore}>
          Show more ({total - chunks.length} left)
        </button>
      )}
      {more && <div class="inline-error">{more}</div>}
    </div>
  );
}
