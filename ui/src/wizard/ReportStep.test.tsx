import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/preact";
import type { MigrationOutcome } from "./api";

vi.mock("./api", () => ({
  wizardApi: { rejects: vi.fn(), changedRows: vi.fn() },
}));

import { wizardApi } from "./api";
import { ReportStep } from "./ReportStep";

const mocked = wizardApi as unknown as Record<string, ReturnType<typeof vi.fn>>;
const outcome: MigrationOutcome = {
  dry_run: false,
  tables: [{ table: "memory_cards", read: 5009, inserted: 5009, unchanged: 0, conflicted: 0, rejected: 0, conflicts_recorded: 0, resumed_after: 0 }],
  verification: [{ table: "memory_cards", source_rows: 5009, matching: 5009, in_conflicts: 0, in_rejects: 0, unaccounted: 0, ok: true }],
  verified: true,
  cache_rows: 5009,
  seconds: 4.2,
};
const longId = "mem_2024-03-05T14:07:09.250Z_9c207aac-2cc6-4b90-bdc9-ba03d547faf4";

beforeEach(() => {
  vi.resetAllMocks();
  mocked.rejects.mockResolvedValue([{ table: "document_chunks", reason: "its document is not in the store", rows: 2, sample_ids: [longId, "chunk-7"] }]);
  mocked.changedRows.mockResolvedValue([
    { table: "memory_cards", change: "nul_bytes_removed", why: "NUL characters removed from its text: PostgreSQL cannot store them", rows: 2, ids: ["card-nul", longId] },
    { table: "memory_cards", change: "invalid_utf8_replaced", why: "bytes that were not valid UTF-8 replaced by \uFFFD: PostgreSQL text must be UTF-8", rows: 1001, ids: Array.from({ length: 1000 }, (_, i) => `card-${i}`) },
  ]);
});

describe("report step", () => {
  it("lists every row changed on the way, with what changed and why, next to a verified result", async () => {
    render(<ReportStep outcome={outcome} onDone={() => {}} />);
    const groups = await screen.findAllByTestId("report-changed-group");
    expect(groups.map((g) => g.getAttribute("data-change"))).toEqual(["nul_bytes_removed", "invalid_utf8_replaced"]);
    expect(groups[0].textContent).toContain("NUL characters removed from its text");
    expect(within(groups[0]).getAllByRole("listitem").map((li) => li.textContent)).toEqual(["card-nul", longId]);
    expect(within(groups[1]).getAllByRole("listitem")).toHaveLength(1000);
    expect(groups[1].textContent).toContain("and 1 more, all kept in noesis_sync.legacy_changes");
    expect(screen.getByTestId("report-verified").textContent).toContain("1,003 of them were imported with a change");
  });

  it("shows reject ids whole and copies them", async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    render(<ReportStep outcome={outcome} onDone={() => {}} />);
    const rejects = await screen.findByTestId("report-rejects");
    await waitFor(() => expect(within(rejects).getAllByRole("listitem").map((li) => li.textContent)).toEqual([longId, "chunk-7"]));
    fireEvent.click(within(rejects).getByTestId("report-copy-ids"));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith(`${longId}\nchunk-7`));
    expect(await within(rejects).findByText(/Copied 2 ids/)).toBeTruthy();
  });

  it("says when no row needed a change", async () => {
    mocked.changedRows.mockResolvedValue([]);
    render(<ReportStep outcome={outcome} onDone={() => {}} />);
    expect(await screen.findByText("No row needed a change to be imported.")).toBeTruthy();
    expect(screen.getByTestId("report-verified").textContent).not.toContain("with a change");
  });
});
