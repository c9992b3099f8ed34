import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import type { MemoryCard } from "../lib/api";

vi.mock("../lib/api", async () => {
  class AppError extends Error {
    code = "cache";
  }
  return {
    AppError,
    onCacheChanged: (await import("../lib/cacheEvents.testing")).onCacheChanged,
    messageOf: (e: unknown) => (e instanceof Error ? e.message : String(e)),
    api: {
      listCards: vi.fn(),
      countCards: vi.fn(),
      searchCards: vi.fn(),
      countCardMatches: vi.fn(),
      cardFacets: vi.fn(),
      getCard: vi.fn(),
      createCard: vi.fn(),
      updateCard: vi.fn(),
      setCardApproval: vi.fn(),
      deleteCard: vi.fn(),
      relatedItems: vi.fn(() => new Promise(() => {})),
      centralProblem: vi.fn(),
      addCardToMindfile: vi.fn(),
    },
  };
});

import { api } from "../lib/api";
import { fireCacheChanged } from "../lib/cacheEvents.testing";
import { CardsView } from "./Cards";

const mocked = api as unknown as Record<string, ReturnType<typeof vi.fn>>;

const card: MemoryCard = {
  id: "c1",
  created_at: "2024-03-05T14:07:09.250000Z",
  category: "preferences",
  scope: "global",
  text: "Miso is the cat",
  approval: "pending",
  approved_at: null,
  rejected_at: null,
  provenance: "{}",
};

beforeEach(() => {
  vi.resetAllMocks();
  mocked.cardFacets.mockResolvedValue({ categories: [], scopes: [], approvals: [] });
  mocked.countCards.mockResolvedValue(0);
  mocked.listCards.mockResolvedValue({ cards: [], next: null });
});

describe("CardsView", () => {
  it("invites a new user to create a first card", async () => {
    render(<CardsView />);
    expect(await screen.findByText("No memory cards yet")).toBeTruthy();
  });

  it("shows the error and retries on request", async () => {
    mocked.listCards.mockRejectedValueOnce(new Error("local cache failed while listing memory cards: disk I/O error"));
    render(<CardsView />);
    expect(await screen.findByText(/disk I\/O error/)).toBeTruthy();
    fireEvent.click(screen.getByText("Try again"));
    expect(await screen.findByText("No memory cards yet")).toBeTruthy();
  });

  it("creates a card from the form and selects it", async () => {
    mocked.createCard.mockResolvedValue(card);
    mocked.getCard.mockResolvedValue(card);
    render(<CardsView />);
    await screen.findByText("No memory cards yet");
    mocked.listCards.mockResolvedValue({ cards: [card], next: null });
    mocked.countCards.mockResolvedValue(1);
    fireEvent.click(screen.getByTestId("new-card"));
    const save = screen.getByTestId("card-save") as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    fireEvent.input(screen.getByTestId("card-text"), { target: { value: "Miso is the cat" } });
    fireEvent.click(save);
    await waitFor(() =>
      expect(mocked.createCard).toHaveBeenCalledWith({ category: "preferences", scope: "global", text: "Miso is the cat" }),
    );
    expect(await screen.findByTestId("card-detail-text")).toBeTruthy();
    expect(screen.getByTestId("card-count").textContent).toBe("1 card");
  });

  it("offers only the Noesis server's categories and scopes, with their labels", async () => {
    render(<CardsView />);
    await screen.findByText("No memory cards yet");
    fireEvent.click(screen.getByTestId("new-card"));
    const options = (id: string) =>
      Array.from((screen.getByTestId(id) as HTMLSelectElement).options).map((o) => [o.value, o.textContent]);
    expect(options("card-category")).toEqual([
      ["principles_values", "Principles & values"],
      ["cognitive_framing", "Cognitive framing"],
      ["decision_heuristics", "Decision heuristics"],
      ["preferences", "Preferences"],
      ["vocabulary", "Vocabulary"],
    ]);
    expect(options("card-scope")).toEqual([
      ["project", "This project"],
      ["global", "Everywhere"],
    ]);
  });

  it("names a card's category, scope and approval in words, in the list, the filters and the detail", async () => {
    const framed: MemoryCard = { ...card, category: "cognitive_framing", scope: "project", approval: "approved" };
    mocked.listCards.mockResolvedValue({ cards: [framed], next: null });
    mocked.countCards.mockResolvedValue(1);
    mocked.getCard.mockResolvedValue(framed);
    mocked.cardFacets.mockResolvedValue({
      categories: [{ value: "cognitive_framing", count: 1 }],
      scopes: [{ value: "project", count: 1 }],
      approvals: [{ value: "approved", count: 1 }],
    });
    render(<CardsView />);
    const row = (await screen.findByText("Miso is the cat")).closest("[data-testid=card-row]")!;
    expect(row.textContent).toContain("Cognitive framing");
    expect(row.textContent).toContain("This project");
    expect(row.querySelector(".pill")!.textContent).toBe("Approved");
    expect(row.textContent).not.toMatch(/cognitive_framing|approved/);
    await waitFor(() => expect(screen.getByText("Cognitive framing (1)")).toBeTruthy());
    expect(screen.getByText("Approved (1)")).toBeTruthy();
    fireEvent.mouseDown(row);
    expect((await screen.findByTestId("card-approval")).textContent).toBe("Approved");
    expect(screen.getByTestId("card-detail").textContent).toContain("Cognitive framing · This project");
  });

  it("marks a stored value the server does not accept and will not save it unchanged", async () => {
    const typedInPsql: MemoryCard = { ...card, category: "fact" };
    mocked.listCards.mockResolvedValue({ cards: [typedInPsql], next: null });
    mocked.countCards.mockResolvedValue(1);
    mocked.getCard.mockResolvedValue(typedInPsql);
    mocked.centralProblem.mockResolvedValue('category "fact" is not one of MemoryCategory\'s values');
    render(<CardsView />);
    fireEvent.mouseDown(await screen.findByText("Miso is the cat"));
    const marker = await screen.findByTestId("server-cannot-read");
    expect(marker.textContent).toContain("The Noesis server cannot read this card");
    expect(marker.textContent).toContain('category "fact"');
    expect(mocked.centralProblem).toHaveBeenCalledWith("memory_cards", typedInPsql.id);
    fireEvent.click(await screen.findByTestId("card-edit"));
    const category = screen.getByTestId("card-category") as HTMLSelectElement;
    expect(category.value).toBe("fact");
    expect(category.options[0].textContent).toBe("fact (not accepted by the Noesis server)");
    expect((screen.getByTestId("card-save") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(category, { target: { value: "vocabulary" } });
    expect((screen.getByTestId("card-save") as HTMLButtonElement).disabled).toBe(false);
  });

  it("adds an approved card to the mind file, and offers it only for approved cards", async () => {
    const approved: MemoryCard = { ...card, approval: "approved", category: "principles_values" };
    mocked.listCards.mockResolvedValue({ cards: [approved], next: null });
    mocked.countCards.mockResolvedValue(1);
    mocked.getCard.mockResolvedValue(approved);
    mocked.addCardToMindfile.mockResolvedValue({
      id: "m1", created_at: "t", updated_at: "t", category: "principles_values", text: approved.text,
      source_memory_card_id: approved.id, source_card_text: approved.text, note: "",
    });
    render(<CardsView />);
    fireEvent.mouseDown(await screen.findByText("Miso is the cat"));
    fireEvent.click(await screen.findByTestId("card-add-to-mindfile"));
    await waitFor(() => expect(mocked.addCardToMindfile).toHaveBeenCalledWith(approved.id));
    expect((await screen.findByTestId("card-mindfile-status")).textContent).toBe("In the mind file under Principles & values");
  });

  it("searches as the user types", async () => {
    mocked.searchCards.mockResolvedValue([card]);
    mocked.countCardMatches.mockResolvedValue(1);
    render(<CardsView />);
    await screen.findByText("No memory cards yet");
    fireEvent.input(screen.getByTestId("card-search"), { target: { value: "mis" } });
    await waitFor(() => expect(mocked.searchCards).toHaveBeenCalledWith("mis", expect.anything(), 200));
    expect(await screen.findByText("Miso is the cat")).toBeTruthy();
    expect(screen.getByTestId("card-count").textContent).toBe("1 match");
  });

  it("counts every match, not the page of them it shows", async () => {
    mocked.searchCards.mockResolvedValue([card]);
    mocked.countCardMatches.mockResolvedValue(3209);
    render(<CardsView />);
    await screen.findByText("No memory cards yet");
    fireEvent.input(screen.getByTestId("card-search"), { target: { value: "latency" } });
    await waitFor(() => expect(mocked.countCardMatches).toHaveBeenCalledWith("latency", expect.anything()));
    await waitFor(() => expect(screen.getByTestId("card-count").textContent).toBe("3,209 matches, the best 200 shown"));
  });
});

describe("CardsView when the cache changes underneath", () => {
  const other: MemoryCard = { ...card, id: "c2", text: "The boiler is due in March", created_at: "2024-03-04T00:00:00Z" };
  const edited: MemoryCard = { ...other, text: "The boiler is due in April" };
  const added: MemoryCard = { ...card, id: "c3", text: "Added on the Mac Studio", created_at: "2024-03-06T00:00:00Z" };

  async function openWithFilterAndSelection() {
    mocked.cardFacets.mockResolvedValue({ categories: [{ value: "preferences", count: 2 }], scopes: [], approvals: [] });
    mocked.listCards.mockResolvedValue({ cards: [card, other], next: null });
    mocked.countCards.mockResolvedValue(2);
    mocked.getCard.mockImplementation(async (id: string) => (id === "c2" ? other : card));
    render(<CardsView />);
    await screen.findByText("The boiler is due in March");
    fireEvent.change(screen.getByLabelText("Category"), { target: { value: "preferences" } });
    await waitFor(() => expect(mocked.listCards).toHaveBeenLastCalledWith({ category: "preferences", scope: null, approval: null }, null, 200));
    fireEvent.mouseDown(screen.getByText("The boiler is due in March"));
    await waitFor(() => expect(screen.getByTestId("card-detail").dataset.cardId).toBe("c2"));
  }

  it("shows a card added and a card edited elsewhere, keeping filters and selection, without a loading flash", async () => {
    await openWithFilterAndSelection();
    let answer: (page: { cards: MemoryCard[]; next: null }) => void = () => {};
    mocked.listCards.mockReturnValue(new Promise((r) => (answer = r)));
    mocked.countCards.mockResolvedValue(3);
    mocked.getCard.mockImplementation(async (id: string) => (id === "c2" ? edited : card));
    const calls = mocked.listCards.mock.calls.length;
    fireCacheChanged();
    await waitFor(() => expect(mocked.listCards.mock.calls.length).toBeGreaterThan(calls));
    expect(screen.queryByText("Loading cards…")).toBeNull();
    expect(screen.getAllByTestId("card-row").length).toBe(2);
    answer({ cards: [added, card, edited], next: null });
    expect(await screen.findByText("Added on the Mac Studio")).toBeTruthy();
    expect(screen.getAllByText("The boiler is due in April").length).toBe(2); // the row and the open detail
    expect(mocked.listCards).toHaveBeenLastCalledWith({ category: "preferences", scope: null, approval: null }, null, 200);
    expect((screen.getByLabelText("Category") as HTMLSelectElement).value).toBe("preferences");
    expect(screen.getByTestId("card-detail").dataset.cardId).toBe("c2");
    expect(screen.getByTestId("card-count").textContent).toBe("3 cards");
  });

  it("leaves a card being edited alone, and shows the new version once editing ends", async () => {
    await openWithFilterAndSelection();
    fireEvent.click(screen.getByTestId("card-edit"));
    fireEvent.input(screen.getByTestId("card-text"), { target: { value: "The boiler is due in May" } });
    mocked.listCards.mockResolvedValue({ cards: [card, edited], next: null });
    mocked.getCard.mockImplementation(async (id: string) => (id === "c2" ? edited : card));
    const fetched = mocked.getCard.mock.calls.length;
    fireCacheChanged();
    expect(await screen.findByText("The boiler is due in April")).toBeTruthy(); // the list row
    expect((screen.getByTestId("card-text") as HTMLTextAreaElement).value).toBe("The boiler is due in May");
    expect(mocked.getCard.mock.calls.length).toBe(fetched);
    fireEvent.click(screen.getByText("Cancel"));
    await waitFor(() => expect(screen.getByTestId("card-detail-text").textContent).toBe("The boiler is due in April"));
  });
});

describe("CardsView refreshing a long list", () => {
  const many = (from: number, n: number): MemoryCard[] =>
    Array.from({ length: n }, (_, i) => ({ ...card, id: `k${from + i}`, text: `Card number ${from + i}` }));

  it("reloads as many cards as the user had scrolled through, so the list does not jump back to the top", async () => {
    // Pages of 200: the second is fetched when the user scrolls near the end of the first.
    mocked.listCards.mockImplementation(async (_f: unknown, after: unknown) =>
      after === null ? { cards: many(0, 200), next: { created_at: "x", id: "k199" } } : { cards: many(200, 50), next: null },
    );
    mocked.countCards.mockResolvedValue(250);
    render(<CardsView />);
    await screen.findByText("Card number 0");
    const vlist = screen.getByRole("listbox", { name: "Cards" });
    vlist.scrollTop = 190 * 76;
    fireEvent.scroll(vlist);
    await waitFor(() => expect(mocked.listCards).toHaveBeenCalledTimes(2));
    await waitFor(() => expect((vlist.firstElementChild as HTMLElement).style.height).toBe(`${250 * 76}px`));
    // The refresh's second page is slow to come: meanwhile the list must not
    // shrink to one page, which would pull a user at the bottom up by 50 rows.
    let secondPage: (page: { cards: MemoryCard[]; next: null }) => void = () => {};
    mocked.listCards.mockClear();
    mocked.listCards.mockImplementation((_f: unknown, after: unknown) =>
      after === null
        ? Promise.resolve({ cards: many(0, 200), next: { created_at: "x", id: "k199" } })
        : new Promise((r) => (secondPage = r)),
    );
    fireCacheChanged();
    await waitFor(() => expect(mocked.listCards).toHaveBeenCalledTimes(2));
    expect(mocked.listCards.mock.calls[0][1]).toBeNull();
    expect(mocked.listCards.mock.calls[1][1]).toEqual({ created_at: "x", id: "k199" });
    expect(screen.getByRole("listbox", { name: "Cards" })).toBe(vlist); // the same scrolled element, not a new one
    expect((vlist.firstElementChild as HTMLElement).style.height).toBe(`${250 * 76}px`);
    secondPage({ cards: many(200, 51), next: null }); // one more card came with the pull
    await waitFor(() => expect((vlist.firstElementChild as HTMLElement).style.height).toBe(`${251 * 76}px`));
    expect(vlist.scrollTop).toBe(190 * 76);
    expect(screen.getByText("Card number 195")).toBeTruthy();
  });
});
