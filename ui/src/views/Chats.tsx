// Chat sessions: the list (title, last message, count), one session's
// messages, rename in place, delete with confirmation. Both reload in place
// when the cache changes underneath (a pull, another program). A session's
// messages are windowed (VirtualMessages): a 5,000-message chat puts only the
// messages in view in the page, and a reload leaves the reader where they were.
import { useState } from "preact/hooks";
import { ServerCannotRead } from "../components/ServerProblem";
import { api, messageOf } from "../lib/api";
import type { ChatMessage, ChatSessionSummary } from "../lib/api";
import { formatRelative, plural } from "../lib/format";
import { useAsync } from "../lib/useAsync";
import { useCacheRevision } from "../lib/useCacheRevision";
import { VirtualList } from "../components/VirtualList";
import { VirtualMessages } from "../components/VirtualMessages";
import { Empty, ErrorState, Loading } from "../components/States";
import { useHistoryPanel } from "../components/History";
import { label } from "../lib/labels";

/** Sessions listed: years of daily chats fit; the list is windowed anyway. */
const SESSION_LIMIT = 20000;

/** Pixels of a message around its text (padding, the role line, the gap to
 *  the next) and per line of text, at the app's 13 px / 1.45 type. */
const MESSAGE_CHROME_PX = 44;
const MESSAGE_LINE_PX = 19;
/** Average width of a character of the app's sans-serif at 13 px. */
const CHAR_PX = 6.5;

/** A message's height before it has been shown: its lines at the width a
 *  bubble gets (78 % of the view, less padding). Only the scroll bar's
 *  accuracy depends on it; the real height replaces it once shown. */
export function estimateMessageHeight(m: ChatMessage, width: number): number {
  const perLine = Math.max(20, Math.floor((width * 0.78 - 24) / CHAR_PX));
  let lines = 1 + Math.floor(m.text.length / perLine);
  for (let i = m.text.indexOf("\n"); i !== -1; i = m.text.indexOf("\n", i + 1)) lines++;
  return MESSAGE_CHROME_PX + lines * MESSAGE_LINE_PX;
}

/** One message: who spoke (and the model, exactly as stored), then the text. */
function renderMessage(m: ChatMessage, index: number) {
  return (
    <div class={`message ${m.role === "user" ? "mine" : "theirs"}`} data-testid="message" data-index={index}>
      <div class="message-role" data-testid="message-role">
        {m.role ? label("ChatRole", m.role) : "Message"}
        {m.model && <span class="dim message-model"> · {m.model}</span>}
      </div>
      <div class="message-text">{m.text}</div>
    </div>
  );
}

export function ChatsView() {
  const revision = useCacheRevision();
  const [sessions, reload, setSessions] = useAsync(() => api.listChatSessions(SESSION_LIMIT), [revision]);
  const [selected, setSelected] = useState<string | null>(null);

  const update = (s: ChatSessionSummary) =>
    sessions.state === "ready" && setSessions([s, ...sessions.value.filter((x) => x.id !== s.id)]);
  const remove = (id: string) => {
    if (sessions.state !== "ready") return;
    setSessions(sessions.value.filter((x) => x.id !== id));
    setSelected(null);
  };

  return (
    <div class="split">
      <section class="list-pane" aria-label="Chat sessions">
        <header class="pane-header">
          <h2>Chats</h2>
          {sessions.state === "ready" && <span class="muted">{plural(sessions.value.length, "session")}</span>}
        </header>
        {sessions.state === "loading" && <Loading label="Loading chats…" />}
        {sessions.state === "error" && <ErrorState message={sessions.message} onRetry={reload} />}
        {sessions.state === "ready" && sessions.value.length === 0 && (
          <Empty title="No chat sessions">Conversations with the assistant appear here once they sync.</Empty>
        )}
        {sessions.state === "ready" && sessions.value.length > 0 && (
          <VirtualList
            items={sessions.value}
            rowHeight={68}
            keyOf={(s) => s.id}
            selectedKey={selected}
            onSelect={(s) => setSelected(s.id)}
            label="Chat sessions"
            renderRow={(s) => (
              <div class="card-row" data-testid="chat-row">
                <div class="row-title">
                  <span class="ellipsis">{s.title || "Untitled"}</span>
                  <span class="dim">{formatRelative(s.updated_at)}</span>
                </div>
                <div class="card-row-meta">
                  <span class="ellipsis">{s.preview || "No messages"}</span>
                  <span class="spacer" />
                  <span class="badge">{s.message_count}</span>
                </div>
              </div>
            )}
          />
        )}
      </section>
      <section class="detail-pane" aria-label="Chat">
        {selected ? (
          <ChatDetail key={selected} id={selected} onRenamed={update} onDeleted={remove} />
        ) : (
          <Empty title="No chat selected">Select a session to read it.</Empty>
        )}
      </section>
    </div>
  );
}

function ChatDetail(props: { id: string; onRenamed: (s: ChatSessionSummary) => void; onDeleted: (id: string) => void }) {
  const revision = useCacheRevision();
  const [session, reload] = useAsync(() => api.getChatSession(props.id), [props.id, revision]);
  const [title, setTitle] = useState<string | null>(null);
  const [confirm, setConfirm] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const history = useHistoryPanel("chat_sessions", props.id, reload);

  if (session.state === "loading") return <Loading label="Loading chat…" />;
  if (session.state === "error") return <ErrorState message={session.message} onRetry={reload} />;
  const s = session.value;

  const rename = async (event: Event) => {
    event.preventDefault();
    if (title === null || title.trim() === "") return;
    try {
      const summary = await api.renameChatSession(s.summary.id, title);
      props.onRenamed(summary);
      setTitle(null);
      reload();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const remove = async () => {
    try {
      await api.deleteChatSession(s.summary.id);
      props.onDeleted(s.summary.id);
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <article class="detail chat" data-testid="chat-detail">
      <ServerCannotRead table="chat_sessions" id={props.id} what="chat session" />
      <div class="detail-head">
        {title === null ? (
          <>
            <h1 class="ellipsis">{s.summary.title || "Untitled"}</h1>
            <span class="spacer" />
            {history.button}
            <button type="button" onClick={() => setTitle(s.summary.title)}>
              Rename
            </button>
            {confirm ? (
              <span class="confirm">
                Delete this chat?
                <button type="button" class="danger" onClick={remove}>
                  Delete
                </button>
                <button type="button" onClick={() => setConfirm(false)}>
                  Keep
                </button>
              </span>
            ) : (
              <button type="button" class="danger-quiet" onClick={() => setConfirm(true)}>
                Delete…
              </button>
            )}
          </>
        ) : (
          <form class="inline-form" onSubmit={rename} onKeyDown={(e) => e.key === "Escape" && setTitle(null)}>
            <input
              aria-label="Title"
              value={title}
              ref={(el) => el?.focus()}
              onInput={(e) => setTitle((e.currentTarget as HTMLInputElement).value)}
            />
            <button type="submit" class="primary" disabled={title.trim() === ""}>
              Save
            </button>
            <button type="button" onClick={() => setTitle(null)}>
              Cancel
            </button>
          </form>
        )}
      </div>
      {history.panel}
      <div class="muted small">
        {plural(s.summary.message_count, "message")} · started {formatRelative(s.summary.created_at)}
      </div>
      {error && (
        <div class="inline-error" role="alert">
          {error}
        </div>
      )}
      {s.messages.length === 0 ? (
        <Empty title="This session has no messages" />
      ) : (
        <VirtualMessages items={s.messages} estimateHeight={estimateMessageHeight} renderItem={renderMessage} label="Messages" />
      )}
    </article>
  );
}
