import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import type { ConflictView } from "../lib/api";

vi.mock("../lib/api", () => ({
  messageOf: (e: unknown) => (e instanceof Error ? e.message : String(e)),
  api: { listConflicts: vi.fn(), resolveConflict: vi.fn(), resolveConflictMerged: vi.fn() },
}));

import { api } from "../lib/api";
import { ConflictsView, mergedValue, showValue } from "./Conflicts";

const mocked = api as unknown as Record<string, ReturnType<typeof vi.fn>>;

const conflict: ConflictView = {
  id: "6f1c0c3e-0000-4000-8000-000000000001",
  table: "memory_cards",
  row_id: "c1",
  reason: "concurrent_edit",
  created_at: new Date().toISOString(),
  involves_me: true,
  mine_is_winning: false,
  their_device: "",
  mine_deleted: false,
  theirs_deleted: false,
  fields: [
    { field: "id", mine: '"c1"', theirs: '"c1"', differs: false },
    { field: "text", mine: '"Typed on the laptop"', theirs: '"Typed in psql"', differs: true },
    { field: "provenance", mine: "{}", theirs: "{}", differs: false },
  ],
};

describe("ConflictsView", () => {
  beforeEach(() => {
    mocked.listConflicts.mockReset().mockResolvedValue([conflict]);
    mocked.resolveConflict.mockReset().mockResolvedValue(null);
    mocked.resolveConflictMerged.mockReset().mockResolvedValue(null);
  });

  it("shows both versions side by side, only the fields that differ at first", async () => {
    render(<ConflictsView />);
    const row = await screen.findByTestId("field-text");
    expect(row.querySelector("[data-testid=mine]")!.textContent).toBe("Typed on the laptop");
    expect(row.querySelector("[data-testid=theirs]")!.textContent).toBe("Typed in psql");
    expect(screen.queryByTestId("field-id")).toBeNull();
    expect(screen.getByText("Theirs (another program)")).toBeTruthy();
    expect(screen.getByTestId("conflict-outcome").textContent).toBe(
      "Sync kept the other version (it was the later edit); the other is set aside until you choose.",
    );
    fireEvent.click(screen.getByTestId("conflict-all-fields"));
    expect(screen.getByTestId("field-id")).toBeTruthy();
  });

  it("names the fields and the server's values in words, and keeps free text as typed", async () => {
    mocked.listConflicts.mockResolvedValue([
      {
        ...conflict,
        fields: [
          { field: "category", mine: '"cognitive_framing"', theirs: '"principles_values"', differs: true },
          { field: "text", mine: '"approved"', theirs: '"Typed in psql"', differs: true },
        ],
      },
    ]);
    render(<ConflictsView />);
    const row = await screen.findByTestId("field-category");
    expect(row.querySelector("th")!.textContent).toBe("Category");
    expect(row.querySelector("[data-testid=mine]")!.textContent).toBe("Cognitive framing");
    expect(row.querySelector("[data-testid=theirs]")!.textContent).toBe("Principles & values");
    expect(screen.getByTestId("field-text").querySelector("[data-testid=mine]")!.textContent).toBe("approved");
    expect(screen.getByTestId("conflict-detail").textContent).toContain("Memory card c1");
  });

  it("keeps mine or theirs", async () => {
    render(<ConflictsView />);
    fireEvent.click(await screen.findByTestId("keep-mine"));
    await waitFor(() => expect(mocked.resolveConflict).toHaveBeenCalledWith(conflict.id, "mine"));
    await waitFor(() => expect(screen.getByTestId("conflict-message").textContent).toContain("Kept your version"));
    fireEvent.click(await screen.findByTestId("keep-theirs"));
    await waitFor(() => expect(mocked.resolveConflict).toHaveBeenLastCalledWith(conflict.id, "theirs"));
  });

  it("saves a merged version starting from mine", async () => {
    render(<ConflictsView />);
    fireEvent.click(await screen.findByTestId("edit-merged"));
    const text = screen.getByTestId("merged-text") as HTMLTextAreaElement;
    expect(text.value).toBe("Typed on the laptop");
    fireEvent.input(text, { target: { value: "Typed on the laptop, and in psql" } });
    fireEvent.click(screen.getByTestId("save-merged"));
    await waitFor(() =>
      expect(mocked.resolveConflictMerged).toHaveBeenCalledWith(conflict.id, [
        { field: "text", value: '"Typed on the laptop, and in psql"' },
      ]),
    );
  });

  it("shows the server's refusal and keeps the choice open", async () => {
    mocked.resolveConflict.mockRejectedValue(new Error("cannot reach PostgreSQL"));
    render(<ConflictsView />);
    fireEvent.click(await screen.findByTestId("keep-mine"));
    await waitFor(() => expect(screen.getByTestId("conflict-error").textContent).toBe("cannot reach PostgreSQL"));
    expect((screen.getByTestId("keep-mine") as HTMLButtonElement).disabled).toBe(false);
  });

  it("says when there is nothing to resolve", async () => {
    mocked.listConflicts.mockResolvedValue([]);
    render(<ConflictsView />);
    expect(await screen.findByText("No conflicts")).toBeTruthy();
  });

  it("reads values as people do and writes them back as JSON", () => {
    expect(showValue('"text"')).toBe("text");
    expect(showValue("null")).toBe("—");
    expect(mergedValue('"old"', 'say "hi"')).toBe('"say \\"hi\\""');
    expect(mergedValue("{}", '{"a": 1}')).toBe('{"a": 1}');
    expect(() => mergedValue("{}", "not json")).toThrow();
  });
});
