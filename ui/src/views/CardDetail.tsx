// One card: read it, edit category / scope / text, approve or reject, delete
// (with an inline confirmation). Also the form for a new card. The card
// reloads when the cache changes underneath (a pull, another program), except
// while it is being edited: the form keeps what the user typed, and sync
// merges their unpushed edit with the other one.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, messageOf } from "../lib/api";
import type { Approval, CardDraft, MemoryCard } from "../lib/api";
import { formatDate } from "../lib/format";
import { useAsync } from "../lib/useAsync";
import { useCacheRevision, useHeldRevision } from "../lib/useCacheRevision";
import { ErrorState, Loading } from "../components/States";
import { Related } from "../components/Related";
import { ServerCannotRead } from "../components/ServerProblem";
import { useHistoryPanel } from "../components/History";
import { choices, isKnown, label } from "../lib/labels";

/**
 * The Noesis server's `MemoryCategory` and `MemoryScope` values with their
 * labels: the server refuses any other value, so the form offers only these.
 */
const CATEGORIES = choices("MemoryCategory");
const SCOPES = choices("MemoryScope");

/**
 * The options of one select: the server's values, plus a stored value that is
 * none of them (written by psql or an older tool), marked, so that editing the
 * card never changes it silently.
 */
function Choices(props: { choices: ReadonlyArray<readonly [string, string]>; current: string }) {
  const known = props.choices.some(([v]) => v === props.current);
  return (
    <>
      {!known && (
        <option value={props.current} disabled>
          {props.current} (not accepted by the Noesis server)
        </option>
      )}
      {props.choices.map(([value, label]) => (
        <option key={value} value={value}>
          {label}
        </option>
      ))}
    </>
  );
}

function CardForm(props: {
  initial: CardDraft;
  submitLabel: string;
  onSubmit: (draft: CardDraft) => Promise<void>;
  onCancel: () => void;
}) {
  const [draft, setDraft] = useState(props.initial);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const text = useRef<HTMLTextAreaElement>(null);
  useEffect(() => text.current?.focus(), []);

  const valid =
    draft.text.trim() !== "" && isKnown("MemoryCategory", draft.category) && isKnown("MemoryScope", draft.scope);
  const submit = async (event?: Event) => {
    event?.preventDefault();
    if (!valid || saving) return;
    setSaving(true);
    setError(null);
    try {
      await props.onSubmit(draft);
    } catch (e) {
      setError(messageOf(e));
      setSaving(false);
    }
  };
  const field = (name: keyof CardDraft) => (e: Event) =>
    setDraft({ ...draft, [name]: (e.currentTarget as HTMLInputElement).value });

  return (
    <form
      class="card-form"
      onSubmit={submit}
      onKeyDown={(e) => {
        if (e.key === "Escape") props.onCancel();
        if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) void submit(e);
      }}
    >
      <label>
        Text
        <textarea ref={text} rows={6} data-testid="card-text" value={draft.text} onInput={field("text")} />
      </label>
      <div class="row">
        <label>
          Category
          <select data-testid="card-category" value={draft.category} onChange={field("category")}>
            <Choices choices={CATEGORIES} current={props.initial.category} />
          </select>
        </label>
        <label>
          Scope
          <select data-testid="card-scope" value={draft.scope} onChange={field("scope")}>
            <Choices choices={SCOPES} current={props.initial.scope} />
          </select>
        </label>
      </div>
      {error && (
        <div class="inline-error" role="alert">
          {error}
        </div>
      )}
      <div class="actions">
        <button type="submit" class="primary" data-testid="card-save" disabled={!valid || saving}>
          {saving ? "Saving…" : props.submitLabel}
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <span class="hint">Ctrl+Enter to save · Esc to cancel</span>
      </div>
    </form>
  );
}

export function NewCard({ onCreated, onCancel }: { onCreated: (c: MemoryCard) => void; onCancel: () => void }) {
  return (
    <div class="detail" data-testid="new-card-form">
      <h1>New memory card</h1>
      <p class="muted">New cards start as pending; approve them once you are sure.</p>
      <CardForm
        initial={{ category: "preferences", scope: "global", text: "" }}
        submitLabel="Create card"
        onSubmit={async (draft) => onCreated(await api.createCard(draft))}
        onCancel={onCancel}
      />
    </div>
  );
}

export function CardDetail(props: { id: string; onChanged: (c: MemoryCard) => void; onDeleted: (id: string) => void }) {
  const [editing, setEditing] = useState(false);
  const revision = useHeldRevision(useCacheRevision(), editing);
  const [card, reload, setCard] = useAsync(() => api.getCard(props.id), [props.id, revision]);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const history = useHistoryPanel("memory_cards", props.id, reload);
  const [error, setError] = useState<string | null>(null);
  const [inMindfile, setInMindfile] = useState<string | null>(null);

  if (card.state === "loading") return <Loading label="Loading card…" />;
  if (card.state === "error") return <ErrorState message={card.message} onRetry={reload} />;
  const c = card.value;

  const act = async (action: () => Promise<MemoryCard | void>) => {
    setError(null);
    try {
      const changed = await action();
      if (changed) {
        setCard(changed);
        props.onChanged(changed);
      }
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const approve = (approval: Approval) => act(() => api.setCardApproval(c.id, approval));

  return (
    <article class="detail" data-testid="card-detail" data-card-id={c.id}>
      <ServerCannotRead table="memory_cards" id={c.id} what="card" />
      <div class="detail-head">
        <span class={`pill ${c.approval}`} data-testid="card-approval">
          {label("MemoryApproval", c.approval)}
        </span>
        <span class="muted">
          {label("MemoryCategory", c.category)} · {label("MemoryScope", c.scope)}
        </span>
        <span class="spacer" />
        {history.button}
        {!editing && (
          <button type="button" data-testid="card-edit" onClick={() => setEditing(true)}>
            Edit
          </button>
        )}
      </div>
      {history.panel}
      {editing ? (
        <CardForm
          initial={{ category: c.category, scope: c.scope, text: c.text }}
          submitLabel="Save"
          onSubmit={async (draft) => {
            const saved = await api.updateCard(c.id, draft);
            setCard(saved);
            props.onChanged(saved);
            setEditing(false);
          }}
          onCancel={() => setEditing(false)}
        />
      ) : (
        <>
          <p class="card-text" data-testid="card-detail-text">
            {c.text}
          </p>
          <div class="actions">
            <button
              type="button"
              class="approve"
              data-testid="card-approve"
              disabled={c.approval === "approved"}
              onClick={() => approve("approved")}
            >
              Approve
            </button>
            <button
              type="button"
              class="reject"
              data-testid="card-reject"
              disabled={c.approval === "rejected"}
              onClick={() => approve("rejected")}
            >
              Reject
            </button>
            {c.approval === "approved" && (
              <button
                type="button"
                data-testid="card-add-to-mindfile"
                title="The Noesis server makes mind-file entries from approved cards"
                onClick={() =>
                  act(async () => {
                    const entry = await api.addCardToMindfile(c.id);
                    setInMindfile(`In the mind file under ${label("MemoryCategory", entry.category)}`);
                  })
                }
              >
                Add to mind file
              </button>
            )}
            {inMindfile && (
              <span class="muted" role="status" data-testid="card-mindfile-status">
                {inMindfile}
              </span>
            )}
            <span class="spacer" />
            {confirmDelete ? (
              <span class="confirm" role="group" aria-label="Confirm delete">
                Delete this card?
                <button type="button" class="danger" data-testid="card-delete-confirm" onClick={() => act(async () => {
                  await api.deleteCard(c.id);
                  props.onDeleted(c.id);
                })}>
                  Delete
                </button>
                <button type="button" onClick={() => setConfirmDelete(false)}>
                  Keep
                </button>
              </span>
            ) : (
              <button type="button" class="danger-quiet" data-testid="card-delete" onClick={() => setConfirmDelete(true)}>
                Delete…
              </button>
            )}
          </div>
        </>
      )}
      {error && (
        <div class="inline-error" role="alert">
          {error}
        </div>
      )}
      <dl class="meta">
        <dt>Created</dt>
        <dd>{formatDate(c.created_at)}</dd>
        {c.approved_at && (
          <>
            <dt>Approved</dt>
            <dd>{formatDate(c.approved_at)}</dd>
          </>
        )}
        {c.rejected_at && (
          <>
            <dt>Rejected</dt>
            <dd>{formatDate(c.rejected_at)}</dd>
          </>
        )}
        <dt>Provenance</dt>
        <dd>
          <code class="provenance">{c.provenance}</code>
        </dd>
        <dt>Id</dt>
        <dd>
          <code>{c.id}</code>
        </dd>
      </dl>
      <Related id={c.id} />
    </article>
  );
}
