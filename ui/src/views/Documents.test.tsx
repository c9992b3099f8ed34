import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import type { Document, DocumentChunk } from "../lib/api";

vi.mock("../lib/api", async () => ({
  onCacheChanged: (await import("../lib/cacheEvents.testing")).onCacheChanged,
  messageOf: (e: unknown) => (e instanceof Error ? e.message : String(e)),
  api: { listDocuments: vi.fn(), documentChunks: vi.fn(), updateDocument: vi.fn(), relatedItems: vi.fn(), centralProblem: vi.fn() },
}));

import { api } from "../lib/api";
import { fireCacheChanged } from "../lib/cacheEvents.testing";
import { DocumentsView } from "./Documents";

const mocked = api as unknown as Record<string, ReturnType<typeof vi.fn>>;

const doc: Document = {
  id: "manual",
  created_at: "2024-03-05T14:07:09.250000Z",
  filename: "boiler-manual.pdf",
  filepath: "/docs/boiler-manual.pdf",
  file_type: "pdf",
  file_size: 2048,
  file_hash: "h",
  status: "indexed",
  chunk_count: 2,
  error_message: "",
  tags: [],
  notes: "",
};
const chunk = (i: number, text: string): DocumentChunk => ({
  id: `manual-${i}`,
  document_id: "manual",
  chunk_index: i,
  text,
  page_number: 0,
  heading: "",
  image_caption: "",
  ocr_text: "",
});

beforeEach(() => {
  vi.resetAllMocks();
  mocked.listDocuments.mockResolvedValue([doc]);
  mocked.documentChunks.mockResolvedValue([chunk(0, "Contents"), chunk(1, "Have it serviced every twelve months")]);
  mocked.relatedItems.mockResolvedValue({
    available: true,
    reason: null,
    items: [{ doc_id: "boiler", source_type: "memory_card", text: "Boiler: April, call Tom", score: 0.8 }],
  });
});

describe("Documents", () => {
  it("shows a chunk's related items only when asked, from the server, for that chunk", async () => {
    render(<DocumentsView />);
    fireEvent.mouseDown(await screen.findByText("boiler-manual.pdf"));
    await screen.findByText("Have it serviced every twelve months");
    expect(mocked.relatedItems).not.toHaveBeenCalled();

    const toggles = screen.getAllByTestId("chunk-related-toggle");
    fireEvent.click(toggles[1]);
    const items = await screen.findAllByTestId("related-item");
    expect(items.map((i) => i.getAttribute("data-doc-id"))).toEqual(["boiler"]);
    expect(mocked.relatedItems).toHaveBeenCalledWith("manual-1", 5);
    expect(toggles[1].textContent).toBe("Hide related");

    fireEvent.click(toggles[1]);
    expect(screen.queryByTestId("related")).toBeNull();
  });

  it("shows a document changed elsewhere, keeping the notes being typed and the open document", async () => {
    render(<DocumentsView />);
    fireEvent.mouseDown(await screen.findByText("boiler-manual.pdf"));
    await screen.findByText("Have it serviced every twelve months");
    fireEvent.input(screen.getByLabelText("Notes"), { target: { value: "the 2019 model" } });
    mocked.listDocuments.mockResolvedValue([{ ...doc, status: "indexed", tags: ["home"], notes: "from the server" }]);
    mocked.documentChunks.mockResolvedValue([chunk(0, "Contents"), chunk(1, "Have it serviced every year")]);
    fireCacheChanged();
    expect(await screen.findByText("Have it serviced every year")).toBeTruthy();
    await waitFor(() => expect((screen.getByLabelText("Tags, separated by commas") as HTMLInputElement).value).toBe("home"));
    expect((screen.getByLabelText("Notes") as HTMLTextAreaElement).value).toBe("the 2019 model");
    expect(screen.getByTestId("document-detail").textContent).toContain("Indexed");
  });
});
