// Row ids as the report shows them: whole (never cut with "…"), selectable,
// and copied all at once with one button, so a user can look each row up in
// the old store or on the server.
import { useState } from "preact/hooks";

/** `ids` shown whole; `more` counts ids of the group that are not in `ids`,
 *  and `keptIn` names where all of them are. */
export function IdList({ ids, more, keptIn }: { ids: string[]; more: number; keptIn: string }) {
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(ids.join("\n"));
      setCopied(ids.length === 1 ? "Copied" : `Copied ${ids.length} ids`);
    } catch {
      setCopied("Could not copy: select the ids and copy them");
    }
  };
  return (
    <div class="wz-id-list">
      <ul data-testid="report-ids">
        {ids.map((id) => (
          <li key={id}>
            <code>{id}</code>
          </li>
        ))}
      </ul>
      {more > 0 && (
        <p class="muted small">
          and {more.toLocaleString()} more, all kept in <code>{keptIn}</code>
        </p>
      )}
      <button type="button" class="small" data-testid="report-copy-ids" onClick={copy}>
        Copy ids
      </button>
      {copied && (
        <span class="muted small" role="status">
          {" "}
          {copied}
        </span>
      )}
    </div>
  );
}
