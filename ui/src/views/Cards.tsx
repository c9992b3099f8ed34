// Memory cards: search and filters on top, the windowed list below, the
// selected card's detail on the right. The list loads keyset pages of
// PAGE_SIZE as the user scrolls; a search replaces it with ranked matches.
// When the cache changes underneath (a pull, another program), the list
// reloads in place as many cards as were loaded, so the scroll position,
// filters, search and selection stay where the user left them.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api, messageOf } from "../lib/api";
import type { CardCursor, CardFacets, CardFilter, MemoryCard } from "../lib/api";
import { formatRelative, plural } from "../lib/format";
import { useAsync, useDebounced } from "../lib/useAsync";
import { useCacheRevision } from "../lib/useCacheRevision";
import { VirtualList } from "../components/VirtualList";
import { Empty, ErrorState, Loading } from "../components/States";
import { CardDetail, NewCard } from "./CardDetail";
import { label } from "../lib/labels";
import type { Vocabulary } from "../lib/labels";

/** The server enum behind each filter menu, whose labels the menu shows. */
const FACET_VOCABULARY: Record<"categories" | "scopes" | "approvals", Vocabulary> = {
  categories: "MemoryCategory",
  scopes: "MemoryScope",
  approvals: "MemoryApproval",
};

/** Cards per IPC call: a few screens, small enough to arrive in milliseconds. */
const PAGE_SIZE = 200;
/** Search results shown: ranked, so the best are first and more are rarely needed. */
const SEARCH_LIMIT = 200;
/** Pixel height of a list row (two lines of text and the meta line). */
const ROW_HEIGHT = 76;
/** Wait after the last keystroke before searching. */
const SEARCH_DEBOUNCE_MS = 120;

type ListState =
  | { state: "loading" }
  | { state: "error"; message: string }
  | { state: "ready"; cards: MemoryCard[]; next: CardCursor | null; loadingMore: boolean };

export function CardsView({ focusCardId }: { focusCardId?: string | null }) {
  const [query, setQuery] = useState("");
  const search = useDebounced(query.trim(), SEARCH_DEBOUNCE_MS);
  const [filter, setFilter] = useState<CardFilter>({ category: null, scope: null, approval: null });
  const [list, setList] = useState<ListState>({ state: "loading" });
  const [count, setCount] = useState<number | null>(null);
  const [selected, setSelected] = useState<string | null>(focusCardId ?? null);
  const [creating, setCreating] = useState(false);
  const revision = useCacheRevision();
  const [facets, reloadFacets] = useAsync<CardFacets>(() => api.cardFacets(), [revision]);
  const generation = useRef(0);
  const searchBox = useRef<HTMLInputElement>(null);
  const loaded = useRef(0);
  loaded.current = list.state === "ready" ? list.cards.length : 0;

  /** Loads the list from the top: at least `want` cards (a refresh keeps as
   *  many as the user had scrolled through), the old list staying on screen
   *  meanwhile. */
  const load = useCallback(
    async (want = PAGE_SIZE) => {
      const id = ++generation.current;
      setList((l) => (l.state === "ready" ? l : { state: "loading" }));
      try {
        if (search) {
          const counting = api.countCardMatches(search, filter);
          const cards = await api.searchCards(search, filter, SEARCH_LIMIT);
          const total = await counting;
          if (id === generation.current) {
            setList({ state: "ready", cards, next: null, loadingMore: false });
            setCount(total);
          }
        } else {
          const counting = api.countCards(filter);
          let cards: MemoryCard[] = [];
          let next: CardCursor | null = null;
          do {
            const page = await api.listCards(filter, next, PAGE_SIZE);
            cards = cards.concat(page.cards);
            next = page.next;
          } while (next && cards.length < want && id === generation.current);
          const total = await counting;
          if (id === generation.current) {
            setList({ state: "ready", cards, next, loadingMore: false });
            setCount(total);
          }
        }
      } catch (e) {
        if (id === generation.current) setList({ state: "error", message: messageOf(e) });
      }
    },
    [search, filter],
  );

  useEffect(() => {
    void load();
  }, [load]);

  // The cache changed underneath: reload in place, keeping what is loaded.
  useEffect(() => {
    if (revision > 0) void load(Math.max(PAGE_SIZE, loaded.current));
  }, [revision]);

  useEffect(() => {
    if (focusCardId) setSelected(focusCardId);
  }, [focusCardId]);

  const loadMore = useCallback(() => {
    if (list.state !== "ready" || !list.next || list.loadingMore) return;
    const id = generation.current;
    const after = list.next;
    setList({ ...list, loadingMore: true });
    api.listCards(filter, after, PAGE_SIZE).then(
      (page) =>
        id === generation.current &&
        setList((l) =>
          l.state === "ready" ? { state: "ready", cards: [...l.cards, ...page.cards], next: page.next, loadingMore: false } : l,
        ),
      (e) => id === generation.current && setList({ state: "error", message: messageOf(e) }),
    );
  }, [list, filter]);

  // Keyboard: Ctrl/Cmd+F or "/" to search, Ctrl/Cmd+N for a new card.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const mod = event.ctrlKey || event.metaKey;
      const typing = (event.target as HTMLElement)?.closest?.("input, textarea, select");
      if ((mod && event.key.toLowerCase() === "f") || (!typing && event.key === "/")) {
        event.preventDefault();
        searchBox.current?.focus();
        searchBox.current?.select();
      } else if (mod && event.key.toLowerCase() === "n") {
        event.preventDefault();
        setCreating(true);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const replace = (card: MemoryCard) =>
    setList((l) => (l.state === "ready" ? { ...l, cards: l.cards.map((c) => (c.id === card.id ? card : c)) } : l));

  const remove = (id: string) => {
    if (list.state === "ready") {
      const index = list.cards.findIndex((c) => c.id === id);
      const rest = list.cards.filter((c) => c.id !== id);
      setList({ ...list, cards: rest });
      setSelected(rest[Math.min(index, rest.length - 1)]?.id ?? null);
      setCount((n) => (n === null ? n : n - 1));
    }
    reloadFacets();
  };

  const created = (card: MemoryCard) => {
    setCreating(false);
    setQuery("");
    setSelected(card.id);
    reloadFacets();
    void load();
  };

  const setFilterField = (field: keyof CardFilter) => (event: Event) => {
    const value = (event.currentTarget as HTMLSelectElement).value;
    setFilter({ ...filter, [field]: value === "" ? null : value });
  };

  const facetOptions = (field: "categories" | "scopes" | "approvals") =>
    facets.state === "ready"
      ? facets.value[field].map((f) => (
          <option key={f.value} value={f.value}>
            {label(FACET_VOCABULARY[field], f.value)} ({f.count.toLocaleString("en-US")})
          </option>
        ))
      : null;

  const filtered = filter.category !== null || filter.scope !== null || filter.approval !== null;

  return (
    <div class="split">
      <section class="list-pane" aria-label="Memory cards">
        <header class="pane-header">
          <input
            ref={searchBox}
            type="search"
            class="search"
            placeholder="Search cards  (Ctrl+F)"
            aria-label="Search cards"
            data-testid="card-search"
            value={query}
            onInput={(e) => setQuery((e.currentTarget as HTMLInputElement).value)}
            onKeyDown={(e) => e.key === "Escape" && setQuery("")}
          />
          <button type="button" class="primary" data-testid="new-card" title="New card (Ctrl+N)" onClick={() => setCreating(true)}>
            New
          </button>
        </header>
        <div class="filters">
          <select aria-label="Category" value={filter.category ?? ""} onChange={setFilterField("category")}>
            <option value="">Category</option>
            {facetOptions("categories")}
          </select>
          <select aria-label="Scope" value={filter.scope ?? ""} onChange={setFilterField("scope")}>
            <option value="">Scope</option>
            {facetOptions("scopes")}
          </select>
          <select aria-label="Approval" value={filter.approval ?? ""} onChange={setFilterField("approval")}>
            <option value="">Approval</option>
            {facetOptions("approvals")}
          </select>
        </div>
        <div class="list-count" data-testid="card-count">
          {count === null
            ? "\u00a0"
            : search
              ? `${plural(count, "match", "matches")}${count > SEARCH_LIMIT ? `, the best ${SEARCH_LIMIT} shown` : ""}`
              : plural(count, "card")}
        </div>
        {list.state === "loading" && <Loading label="Loading cards…" />}
        {list.state === "error" && <ErrorState message={list.message} onRetry={() => void load()} />}
        {list.state === "ready" && list.cards.length === 0 && (
          search ? (
            <Empty title="No matching cards">Nothing contains “{search}”. Try fewer or shorter words.</Empty>
          ) : filtered ? (
            <Empty title="No cards match these filters" />
          ) : (
            <Empty title="No memory cards yet">
              Cards appear here when the assistant proposes them, or when you create one.
              <button type="button" onClick={() => setCreating(true)}>
                Create a card
              </button>
            </Empty>
          )
        )}
        {list.state === "ready" && list.cards.length > 0 && (
          <VirtualList
            items={list.cards}
            rowHeight={ROW_HEIGHT}
            keyOf={(c) => c.id}
            selectedKey={selected}
            onSelect={(c) => {
              setCreating(false);
              setSelected(c.id);
            }}
            onNearEnd={list.next ? loadMore : undefined}
            label="Cards"
            renderRow={(card) => (
              <div class="card-row" data-testid="card-row">
                <div class="card-row-text">{card.text}</div>
                <div class="card-row-meta">
                  <span class={`pill ${card.approval}`}>{label("MemoryApproval", card.approval)}</span>
                  <span>{label("MemoryCategory", card.category)}</span>
                  <span class="dim">·</span>
                  <span>{label("MemoryScope", card.scope)}</span>
                  <span class="spacer" />
                  <span class="dim">{formatRelative(card.created_at)}</span>
                </div>
              </div>
            )}
          />
        )}
      </section>
      <section class="detail-pane" aria-label="Card detail">
        {creating ? (
          <NewCard onCreated={created} onCancel={() => setCreating(false)} />
        ) : selected ? (
          <CardDetail key={selected} id={selected} onChanged={replace} onDeleted={remove} />
        ) : (
          <Empty title="No card selected">Select a card to read, edit or approve it.</Empty>
        )}
      </section>
    </div>
  );
}
