import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import type { TrashItem, TrashView as Trash } from "../lib/api";

vi.mock("../lib/api", () => ({
  messageOf: (e: unknown) => (e instanceof Error ? e.message : String(e)),
  api: { listTrash: vi.fn(), undeleteRow: vi.fn() },
}));

import { api } from "../lib/api";
import { TrashView, matching } from "./Trash";

const mocked = api as unknown as Record<string, ReturnType<typeof vi.fn>>;

function item(table: string, id: string, title: string, by = "MacBook Air"): TrashItem {
  return {
    table,
    row_id: id,
    last: { version: "3", kind: "deleted", replaced_at: "2026-12-02T08:30:00Z", by, title, fields: [] },
  };
}

const trash: Trash = {
  items: [
    item("chat_sessions", "s1", "Planning the trip to Lisbon"),
    item("memory_cards", "c9", "Prefers concise answers", "Noesis server / another program"),
  ],
  offline_since: null,
};

describe("TrashView", () => {
  beforeEach(() => {
    mocked.listTrash.mockReset().mockResolvedValue(trash);
    mocked.undeleteRow.mockReset().mockResolvedValue(null);
  });

  it("lists what was deleted, by whom, with a count", async () => {
    render(<TrashView />);
    expect((await screen.findByTestId("trash-count")).textContent).toBe("2 deleted items");
    const rows = screen.getAllByTestId("trash-item");
    expect(rows[1].textContent).toContain("Noesis server / another program");
    expect(rows[0].textContent).toContain("Planning the trip to Lisbon");
  });

  it("searches by every word typed", async () => {
    render(<TrashView />);
    fireEvent.input(await screen.findByTestId("trash-search"), { target: { value: "lisbon trip" } });
    expect(screen.getAllByTestId("trash-item").map((r) => r.getAttribute("data-row-id"))).toEqual(["s1"]);
    expect(matching(trash.items, "card concise").map((i) => i.row_id)).toEqual(["c9"]);
  });

  it("restores an item and reads the trash again", async () => {
    const changed = vi.fn();
    render(<TrashView onChanged={changed} />);
    fireEvent.click((await screen.findAllByTestId("trash-restore"))[0]);
    await waitFor(() => expect(mocked.undeleteRow).toHaveBeenCalledWith("chat_sessions", "s1"));
    await waitFor(() => expect(screen.getByTestId("trash-message").textContent).toContain("Planning the trip"));
    expect(changed).toHaveBeenCalled();
    expect(mocked.listTrash).toHaveBeenCalledTimes(2);
    // The server still lists it until the push arrives; the view does not.
    expect(screen.getAllByTestId("trash-item").map((r) => r.getAttribute("data-row-id"))).toEqual(["c9"]);
    expect(screen.getByTestId("trash-count").textContent).toBe("1 deleted item");
  });

  it("offline, shows the list read last and does not offer Restore", async () => {
    mocked.listTrash.mockResolvedValue({ ...trash, offline_since: "2026-12-02T09:00:00Z" });
    render(<TrashView />);
    expect((await screen.findByTestId("trash-offline")).textContent).toContain("Restoring needs the server");
    expect(screen.getAllByTestId("trash-restore").every((b) => (b as HTMLButtonElement).disabled)).toBe(true);
  });
});
