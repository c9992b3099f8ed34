import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import type { MemoryCard } from "../lib/api";

vi.mock("../lib/api", () => {
  class AppError extends Error {
    code = "cache";
  }
  return {
    AppError,
    messageOf: (e: unknown) => (e instanceof Error ? e.message : String(e)),
    api: {
      listCards: vi.fn(),
      countCards: vi.fn(),
      searchCards: vi.fn(),
      cardFacets: vi.fn(),
      getCard: vi.fn(),
      createCard: vi.fn(),
      updateCard: vi.fn(),
      setCardApproval: vi.fn(),
      deleteCard: vi.fn(),
      relatedItems: vi.fn(() => new Promise(() => {})),
    },
  };
});

import { api } from "../lib/api";
import { CardsView } from "./Cards";

const mocked = api as unknown as Record<string, ReturnType<typeof vi.fn>>;

const card: MemoryCard = {
  id: "c1",
  created_at: "2024-03-05T14:07:09.250000Z",
  category: "fact",
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
      expect(mocked.createCard).toHaveBeenCalledWith({ category: "fact", scope: "global", text: "Miso is the cat" }),
    );
    expect(await screen.findByTestId("card-detail-text")).toBeTruthy();
    expect(screen.getByTestId("card-count").textContent).toBe("1 card");
  });

  it("searches as the user types", async () => {
    mocked.searchCards.mockResolvedValue([card]);
    render(<CardsView />);
    await screen.findByText("No memory cards yet");
    fireEvent.input(screen.getByTestId("card-search"), { target: { value: "mis" } });
    await waitFor(() => expect(mocked.searchCards).toHaveBeenCalledWith("mis", expect.anything(), 200));
    expect(await screen.findByText("Miso is the cat")).toBeTruthy();
    expect(screen.getByTestId("card-count").textContent).toBe("1 match");
  });
});
