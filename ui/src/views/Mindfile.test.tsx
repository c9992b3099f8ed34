import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import type { MindfileEntry } from "../lib/api";

vi.mock("../lib/api", async () => ({
  onCacheChanged: (await import("../lib/cacheEvents.testing")).onCacheChanged,
  messageOf: (e: unknown) => (e instanceof Error ? e.message : String(e)),
  api: { mindfileCategories: vi.fn(), listMindfileEntries: vi.fn(), setMindfileNote: vi.fn(), listUnreadableCentral: vi.fn() },
}));

import { api } from "../lib/api";
import { fireCacheChanged } from "../lib/cacheEvents.testing";
import { MindfileView } from "./Mindfile";

const mocked = api as unknown as Record<string, ReturnType<typeof vi.fn>>;

const entry = (id: string, text: string, note = ""): MindfileEntry => ({
  id,
  created_at: "2024-03-05T14:07:09Z",
  updated_at: "2024-03-05T14:07:09Z",
  category: "principles_values",
  text,
  source_memory_card_id: "c1",
  source_card_text: null,
  note,
});

beforeEach(() => {
  vi.resetAllMocks();
  mocked.mindfileCategories.mockResolvedValue([{ value: "principles_values", count: 2 }]);
  mocked.listMindfileEntries.mockResolvedValue([entry("e1", "Lives in Leeds"), entry("e2", "Has a cat")]);
  mocked.listUnreadableCentral.mockResolvedValue([]);
});

describe("MindfileView", () => {
  it("names the server's categories with their labels, in the list and over each group", async () => {
    render(<MindfileView onOpenCard={() => {}} />);
    await screen.findByText("Lives in Leeds");
    expect(screen.getAllByText("Principles & values").length).toBe(2);
    expect(screen.queryByText("principles_values")).toBeNull();
  });
});

describe("MindfileView and rows the Noesis server cannot read", () => {
  it("marks only the entry whose central version the server cannot read, with the reason", async () => {
    mocked.listUnreadableCentral.mockResolvedValue([
      { table: "mindfile_entries", row_id: "e2", reason: "category \"fact\" is not one of the server's categories" },
      { table: "memory_cards", row_id: "e1", reason: "a card with the same id, not an entry" },
    ]);
    render(<MindfileView onOpenCard={() => {}} />);
    const marker = await screen.findByTestId("server-cannot-read");
    expect(marker.textContent).toContain("cannot read this mind-file entry");
    expect(marker.textContent).toContain("\"fact\" is not one of the server's categories");
    const entries = screen.getAllByTestId("mindfile-entry");
    expect(entries[1].contains(marker)).toBe(true);
    expect(screen.getAllByTestId("server-cannot-read").length).toBe(1);
  });

  it("drops the marker once the row is corrected", async () => {
    mocked.listUnreadableCentral.mockResolvedValue([{ table: "mindfile_entries", row_id: "e1", reason: "text is empty" }]);
    render(<MindfileView onOpenCard={() => {}} />);
    await screen.findByTestId("server-cannot-read");
    mocked.listUnreadableCentral.mockResolvedValue([]);
    fireCacheChanged();
    await waitFor(() => expect(screen.queryByTestId("server-cannot-read")).toBeNull());
  });
});

describe("MindfileView when the cache changes underneath", () => {
  it("shows entries edited elsewhere, keeping a note the user is typing", async () => {
    render(<MindfileView onOpenCard={() => {}} />);
    await screen.findByText("Lives in Leeds");
    fireEvent.input(screen.getAllByLabelText("Note")[0], { target: { value: "since 2019" } });
    expect(await screen.findByText("Save note")).toBeTruthy();
    mocked.listMindfileEntries.mockResolvedValue([entry("e1", "Lives in York", "moved"), entry("e2", "Has a cat", "Miso")]);
    fireCacheChanged();
    expect(await screen.findByText("Lives in York")).toBeTruthy();
    const notes = screen.getAllByLabelText("Note") as HTMLInputElement[];
    expect(notes[0].value).toBe("since 2019"); // being typed: kept
    await waitFor(() => expect(notes[1].value).toBe("Miso")); // untouched: the new note shows
  });
});
