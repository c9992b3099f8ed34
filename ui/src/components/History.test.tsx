import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import type { HistoryView, VersionView } from "../lib/api";

vi.mock("../lib/api", () => ({
  messageOf: (e: unknown) => (e instanceof Error ? e.message : String(e)),
  api: { rowHistory: vi.fn(), restoreVersion: vi.fn() },
}));

import { api } from "../lib/api";
import { HistoryPanel } from "./History";

const mocked = api as unknown as Record<string, ReturnType<typeof vi.fn>>;

function version(n: string, text: string, changed: string[], kind: VersionView["kind"] = "edited", by = "Mac Studio"): VersionView {
  return {
    version: n,
    kind,
    replaced_at: "2026-12-01T10:00:00Z",
    by,
    title: text,
    fields: [
      { field: "id", value: '"c1"', changed: false },
      { field: "text", value: JSON.stringify(text), changed: changed.includes("text") },
      { field: "approval", value: '"pending"', changed: changed.includes("approval") },
    ],
  };
}

const story: HistoryView = {
  table: "memory_cards",
  row_id: "c1",
  deleted: false,
  versions: [
    version("12", "Prefers concise answers", ["text", "approval"], "edited", "Noesis server / another program"),
    version("7", "Prefers short answers", ["text"]),
  ],
  open_conflicts: 0,
  offline_since: null,
};

describe("HistoryPanel", () => {
  beforeEach(() => {
    mocked.rowHistory.mockReset().mockResolvedValue(story);
    mocked.restoreVersion.mockReset().mockResolvedValue(null);
  });

  it("lists versions newest first with who, and highlights only the fields the next edit changed", async () => {
    render(<HistoryPanel table="memory_cards" id="c1" onClose={() => {}} />);
    const versions = await screen.findAllByTestId("history-version");
    expect(versions.map((v) => v.getAttribute("data-version"))).toEqual(["12", "7"]);
    expect(versions[0].textContent).toContain("Noesis server / another program");
    const changed = [...versions[0].querySelectorAll("[data-changed=true] dt")].map((d) => d.textContent);
    expect(changed).toEqual(["Text", "Approval"]);
    expect(versions[0].textContent).toContain("Pending"); // the approval as the app labels it, not "pending"
    expect(versions[0].textContent).not.toContain("pending");
    expect(versions[1].querySelectorAll("[data-changed=true]").length).toBe(1);
    expect(versions[1].textContent).not.toContain("c1"); // unchanged fields hidden until asked
    fireEvent.click(versions[1].querySelector("button.link")!);
    expect(versions[1].textContent).toContain("c1");
  });

  it("restores a version, says it syncs, and reads the history again", async () => {
    const restored = vi.fn();
    render(<HistoryPanel table="memory_cards" id="c1" onClose={() => {}} onRestored={restored} />);
    const versions = await screen.findAllByTestId("history-version");
    fireEvent.click(versions[1].querySelector("[data-testid=history-restore]")!);
    await waitFor(() => expect(mocked.restoreVersion).toHaveBeenCalledWith("memory_cards", "c1", "7"));
    await waitFor(() => expect(screen.getByTestId("history-message").textContent).toContain("Version 7 restored"));
    expect(restored).toHaveBeenCalled();
    expect(mocked.rowHistory).toHaveBeenCalledTimes(2);
  });

  it("offline, shows what this device read and says newer versions need the server", async () => {
    mocked.rowHistory.mockResolvedValue({ ...story, offline_since: "2026-12-01T09:00:00Z" });
    render(<HistoryPanel table="memory_cards" id="c1" onClose={() => {}} />);
    expect((await screen.findByTestId("history-offline")).textContent).toContain("need the server");
    expect(screen.getAllByTestId("history-version").length).toBe(2);
    expect(screen.getAllByTestId("history-restore").every((b) => (b as HTMLButtonElement).disabled)).toBe(true);
  });

  it("says why when a restore fails", async () => {
    mocked.restoreVersion.mockRejectedValue(new Error("No server is configured"));
    render(<HistoryPanel table="memory_cards" id="c1" onClose={() => {}} />);
    fireEvent.click((await screen.findAllByTestId("history-restore"))[0]);
    await waitFor(() => expect(screen.getByTestId("history-message").textContent).toBe("No server is configured"));
  });
});

describe("HistoryPanel with a conflict", () => {
  it("shows the conflict's losing version in the same list, and restoring it names the conflict", async () => {
    const loser = version("conflict:6f1c0c3e-0000-4000-8000-000000000001", "Typed on the laptop", ["text"], "lost_conflict");
    mocked.rowHistory.mockReset().mockResolvedValue({ ...story, versions: [loser, ...story.versions], open_conflicts: 1 });
    mocked.restoreVersion.mockReset().mockResolvedValue(null);
    render(<HistoryPanel table="memory_cards" id="c1" onClose={() => {}} />);
    const versions = await screen.findAllByTestId("history-version");
    expect(versions[0].textContent).toContain("Lost a conflict");
    expect(screen.getByTestId("history-conflicts").textContent).toContain("A conflict on this item is open");
    fireEvent.click(versions[0].querySelector("[data-testid=history-restore]")!);
    await waitFor(() => expect(mocked.restoreVersion).toHaveBeenCalledWith("memory_cards", "c1", loser.version));
    await waitFor(() => expect(screen.getByTestId("history-message").textContent).toContain("The conflict's losing version restored"));
  });
});
