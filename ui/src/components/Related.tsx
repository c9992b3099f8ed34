// "Related" under a card or a document chunk: its nearest neighbours on the
// server (pgvector).
// Hidden behind one line saying why when the server cannot answer (offline,
// no server, no pgvector, not embedded yet).
import { api } from "../lib/api";
import { readable } from "../lib/labels";
import { useAsync } from "../lib/useAsync";
import "../sync.css";

const KIND: Record<string, string> = { memory_card: "Card", document_chunk: "Document passage" };

/** How many neighbours the panel asks for. */
const LIMIT = 5;

export function Related({ id }: { id: string }) {
  const [related] = useAsync(() => api.relatedItems(id, LIMIT), [id]);
  if (related.state === "loading") return null;
  return (
    <section class="related" aria-label="Related" data-testid="related">
      <h2>Related</h2>
      {related.state === "error" ? (
        <p class="muted small" data-testid="related-reason">
          {related.message}
        </p>
      ) : !related.value.available ? (
        <p class="muted small" data-testid="related-reason">
          {related.value.reason}
        </p>
      ) : related.value.items.length === 0 ? (
        <p class="muted small" data-testid="related-reason">
          Nothing else on the server is close to this yet.
        </p>
      ) : (
        <ol class="related-list">
          {related.value.items.map((item) => (
            <li key={item.doc_id} data-testid="related-item" data-doc-id={item.doc_id}>
              <span class="related-kind">{KIND[item.source_type] ?? readable(item.source_type)}</span>
              <span class="related-text">{item.text}</span>
              <span class="related-score" title="Similarity (inner product)">
                {(item.score ?? 0).toFixed(2)}
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
