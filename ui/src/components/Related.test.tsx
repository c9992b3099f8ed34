import { beforeEach, describe, expect, it, vi } from "vitest";
import { render, screen } from "@testing-library/preact";

vi.mock("../lib/api", () => ({
  messageOf: (e: unknown) => (e instanceof Error ? e.message : String(e)),
  api: { relatedItems: vi.fn() },
}));

import { api } from "../lib/api";
import { Related } from "./Related";

const mocked = api as unknown as Record<string, ReturnType<typeof vi.fn>>;

beforeEach(() => vi.resetAllMocks());

describe("Related", () => {
  it("lists neighbours nearest first with what they are", async () => {
    mocked.relatedItems.mockResolvedValue({
      available: true,
      reason: null,
      items: [
        { doc_id: "c2", source_type: "memory_card", text: "Tom has the spare key", score: 0.91 },
        { doc_id: "k1", source_type: "document_chunk", text: "Boiler manual, page 3", score: 0.5 },
      ],
    });
    render(<Related id="c1" />);
    const items = await screen.findAllByTestId("related-item");
    expect(items.map((i) => i.getAttribute("data-doc-id"))).toEqual(["c2", "k1"]);
    expect(items[1].textContent).toContain("Document passage");
    expect(mocked.relatedItems).toHaveBeenCalledWith("c1", 5);
  });

  it("hides the list and says why when the server cannot answer", async () => {
    mocked.relatedItems.mockResolvedValue({ available: false, reason: "Offline: related items come from the server", items: [] });
    render(<Related id="c1" />);
    expect((await screen.findByTestId("related-reason")).textContent).toContain("Offline");
    expect(screen.queryByTestId("related-item")).toBeNull();
  });
});
