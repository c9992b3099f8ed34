import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/preact";

vi.mock("../lib/api", () => ({
  messageOf: (e: unknown) => (e instanceof Error ? e.message : String(e)),
  api: { syncNow: vi.fn(), setSyncPaused: vi.fn(), listNotAccepted: vi.fn(), listHeldDeletions: vi.fn(), resolveHeldDeletions: vi.fn(), listUnreadableCentral: vi.fn() },
}));

import { api } from "../lib/api";
import { SyncIndicator, syncSummary } from "./SyncIndicator";
import type { SyncStatus } from "../lib/api";

const mocked = api as unknown as Record<string, ReturnType<typeof vi.fn>>;

const base: SyncStatus = {
  state: "local_only",
  pending: 0,
  last_sync: null,
  conflicts: 0,
  error_message: null,
  not_accepted: 0,
  held_deletions: 0,
  unreadable_central: 0,
};

const YESTERDAY =
  'memory_cards.created_at holds "yesterday", which is not a date and time (write it like 2025-01-31T12:00:00Z); the change was not sent: edit the row to send it';

describe("SyncIndicator", () => {
  it("says local only when no server is configured", () => {
    render(<SyncIndicator status={base} />);
    expect(screen.getByText("Local only")).toBeTruthy();
    expect(screen.getByTestId("sync-summary").textContent).toBe("No server configured");
  });

  it("shows pending changes before anything else except an error", () => {
    expect(syncSummary({ ...base, state: "online", pending: 3 })).toBe("3 changes pending");
    expect(syncSummary({ ...base, state: "error", pending: 3, error_message: "server unreachable" })).toBe(
      "server unreachable",
    );
  });

  it("says changes not accepted before pending ones, and an error before both", () => {
    const online = { ...base, state: "online" as const, last_sync: new Date().toISOString() };
    expect(syncSummary({ ...online, not_accepted: 1 })).toBe("1 change not accepted");
    expect(syncSummary({ ...online, pending: 3, not_accepted: 2 })).toBe("2 changes not accepted");
    expect(syncSummary({ ...online, state: "offline", pending: 3, not_accepted: 2, error_message: "cannot reach PostgreSQL" })).toBe(
      "2 changes not accepted",
    );
    expect(syncSummary({ ...online, state: "error", not_accepted: 2, error_message: "wrong password" })).toBe("wrong password");
    expect(syncSummary({ ...base, not_accepted: 1 })).toBe("1 change not accepted");
    expect(syncSummary(online)).toMatch(/^Last sync/);
  });

  it("shows a badge for changes not accepted only when there are some", () => {
    const { rerender } = render(<SyncIndicator status={{ ...base, state: "online" }} />);
    expect(screen.queryByTestId("not-accepted-badge")).toBeNull();
    rerender(<SyncIndicator status={{ ...base, state: "online", not_accepted: 3, conflicts: 1 }} />);
    const badge = screen.getByTestId("not-accepted-badge");
    expect(badge.textContent).toBe("3");
    expect(badge.getAttribute("title")).toBe("3 changes not accepted");
    expect(screen.getByTestId("sync-summary").textContent).toBe("3 changes not accepted");
  });

  it("opens details with the pending count and the reason of an error", () => {
    render(<SyncIndicator status={{ ...base, state: "error", pending: 2, conflicts: 1, error_message: "wrong password" }} />);
    expect(screen.getByText("Sync error")).toBeTruthy();
    fireEvent.click(screen.getByTestId("sync-indicator"));
    expect(screen.getByTestId("sync-pending").textContent).toBe("2");
    expect(screen.getAllByText("wrong password").length).toBeGreaterThan(0);
  });

  it("says it is checking before the first status arrives", () => {
    render(<SyncIndicator status={null} />);
    expect(screen.getByText("Checking sync…")).toBeTruthy();
  });

  describe("details", () => {
    const online: SyncStatus = { ...base, state: "online", last_sync: new Date().toISOString() };
    beforeEach(() => {
      mocked.syncNow.mockReset().mockResolvedValue(null);
      mocked.setSyncPaused.mockReset().mockResolvedValue({ ...online, state: "paused" });
      mocked.listNotAccepted.mockReset().mockResolvedValue([]);
    });

    it("lists the changes not accepted with a readable table, the row and the engine's reason", async () => {
      mocked.listNotAccepted.mockResolvedValue([
        { table: "memory_cards", row_id: "when", reason: YESTERDAY, rejected_at: new Date().toISOString() },
        { table: "chat_sessions", row_id: "s-42", reason: "value too long for type character varying(200)", rejected_at: "2025-01-01T00:00:00Z" },
      ]);
      render(<SyncIndicator status={{ ...online, not_accepted: 2 }} />);
      expect(mocked.listNotAccepted).not.toHaveBeenCalled();
      fireEvent.click(screen.getByTestId("sync-indicator"));
      expect(screen.getByTestId("sync-not-accepted").textContent).toBe("2");
      await waitFor(() => expect(screen.getAllByTestId("not-accepted-item").length).toBe(2));
      const [first, second] = screen.getAllByTestId("not-accepted-item");
      expect(first.textContent).toContain("Memory card");
      expect(first.textContent).toContain("when");
      expect(first.querySelector("[data-testid=not-accepted-reason]")!.textContent).toBe(YESTERDAY);
      expect(second.textContent).toContain("Chat");
      expect(second.textContent).toContain("s-42");
      expect(screen.getByTestId("sync-details").textContent).toContain("Editing the row sends it again.");
      expect(screen.getByTestId("not-accepted-list").getAttribute("tabindex")).toBe("0");
      expect(mocked.listNotAccepted).toHaveBeenCalledTimes(1);
    });

    it("does not ask for the list when every change was accepted", () => {
      render(<SyncIndicator status={online} />);
      fireEvent.click(screen.getByTestId("sync-indicator"));
      expect(screen.getByTestId("sync-not-accepted").textContent).toBe("0");
      expect(screen.queryByTestId("not-accepted-list")).toBeNull();
      expect(mocked.listNotAccepted).not.toHaveBeenCalled();
    });

    it("says why the list cannot be read, and tries again on request", async () => {
      mocked.listNotAccepted.mockRejectedValueOnce(new Error("cannot open the cache"));
      mocked.listNotAccepted.mockResolvedValueOnce([
        { table: "documents", row_id: "d1", reason: "a check constraint refused it", rejected_at: "2025-01-01T00:00:00Z" },
      ]);
      render(<SyncIndicator status={{ ...online, not_accepted: 1 }} />);
      fireEvent.click(screen.getByTestId("sync-indicator"));
      await waitFor(() => expect(screen.getByRole("alert").textContent).toContain("cannot open the cache"));
      expect(screen.queryByTestId("not-accepted-list")).toBeNull();
      fireEvent.click(screen.getByText("Try again"));
      await waitFor(() => expect(screen.getByTestId("not-accepted-list").textContent).toContain("Document"));
    });

    it("fetches the list again when the count moves", async () => {
      mocked.listNotAccepted.mockResolvedValue([]);
      const { rerender } = render(<SyncIndicator status={{ ...online, not_accepted: 1 }} />);
      fireEvent.click(screen.getByTestId("sync-indicator"));
      await waitFor(() => expect(screen.getByText("Nothing waiting")).toBeTruthy());
      rerender(<SyncIndicator status={{ ...online, not_accepted: 2 }} />);
      await waitFor(() => expect(mocked.listNotAccepted).toHaveBeenCalledTimes(2));
    });

    it("syncs now on request and says so", async () => {
      render(<SyncIndicator status={online} />);
      fireEvent.click(screen.getByTestId("sync-indicator"));
      fireEvent.click(screen.getByTestId("sync-now"));
      await waitFor(() => expect(screen.getByTestId("sync-message").textContent).toBe("Syncing now"));
      expect(mocked.syncNow).toHaveBeenCalledTimes(1);
    });

    it("pauses and resumes with the toggle, which follows the paused state", async () => {
      const { rerender } = render(<SyncIndicator status={online} />);
      fireEvent.click(screen.getByTestId("sync-indicator"));
      const toggle = screen.getByTestId("sync-pause") as HTMLInputElement;
      expect(toggle.checked).toBe(false);
      fireEvent.click(toggle);
      await waitFor(() => expect(mocked.setSyncPaused).toHaveBeenCalledWith(true));
      rerender(<SyncIndicator status={{ ...online, state: "paused" }} />);
      expect((screen.getByTestId("sync-pause") as HTMLInputElement).checked).toBe(true);
      expect((screen.getByTestId("sync-now") as HTMLButtonElement).disabled).toBe(true);
      fireEvent.click(screen.getByTestId("sync-pause"));
      await waitFor(() => expect(mocked.setSyncPaused).toHaveBeenLastCalledWith(false));
    });

    it("shows a failure to reach the server as the reason", async () => {
      mocked.syncNow.mockRejectedValue(new Error("cannot reach PostgreSQL"));
      render(<SyncIndicator status={{ ...online, state: "offline", pending: 4, error_message: "cannot reach PostgreSQL" }} />);
      fireEvent.click(screen.getByTestId("sync-indicator"));
      expect(screen.getByTestId("sync-reason").textContent).toBe("cannot reach PostgreSQL");
      expect(screen.getByTestId("sync-pending").textContent).toBe("4");
    });

    it("opens the conflict centre when conflicts wait", () => {
      const open = vi.fn();
      render(<SyncIndicator status={{ ...online, conflicts: 2 }} onOpenConflicts={open} />);
      fireEvent.click(screen.getByTestId("sync-indicator"));
      fireEvent.click(screen.getByTestId("open-conflicts"));
      expect(open).toHaveBeenCalled();
      expect(screen.queryByTestId("sync-details")).toBeNull();
    });

    it("closes with Escape and gives focus back to the indicator", () => {
      render(<SyncIndicator status={online} />);
      const indicator = screen.getByTestId("sync-indicator");
      fireEvent.click(indicator);
      expect(document.activeElement).toBe(screen.getByTestId("sync-now"));
      fireEvent.keyDown(window, { key: "Escape" });
      expect(screen.queryByTestId("sync-details")).toBeNull();
      expect(document.activeElement).toBe(indicator);
    });

    it("offers no sync controls without a server", () => {
      render(<SyncIndicator status={base} />);
      fireEvent.click(screen.getByTestId("sync-indicator"));
      expect(screen.queryByTestId("sync-now")).toBeNull();
      expect(screen.queryByTestId("sync-pause")).toBeNull();
    });
  });

  describe("held deletions", () => {
    const online: SyncStatus = { ...base, state: "online", last_sync: null };

    it("asks about held deletions before anything but an error", () => {
      expect(syncSummary({ ...online, held_deletions: 120, not_accepted: 2 })).toBe("120 deletions held");
      expect(syncSummary({ ...online, state: "error", held_deletions: 120, error_message: "wrong password" })).toBe("wrong password");
    });

    it("lists what would go and keeps it on request", async () => {
      mocked.listNotAccepted.mockReset().mockResolvedValue([]);
      mocked.listHeldDeletions.mockReset().mockResolvedValue([
        { table: "memory_cards", deleted_here: false, rows: 120, sample: ["c1", "c2", "c3", "c4", "c5"] },
      ]);
      mocked.resolveHeldDeletions.mockReset().mockResolvedValue({ ...online });
      render(<SyncIndicator status={{ ...online, held_deletions: 120 }} />);
      expect(screen.getByTestId("held-badge").textContent).toBe("120");
      fireEvent.click(screen.getByTestId("sync-indicator"));
      const item = await screen.findByTestId("held-deletion-item");
      expect(item.textContent).toContain("120 rows deleted on the server, still here");
      expect(item.textContent).toContain("c1, c2, c3, c4, c5");
      fireEvent.click(screen.getByText("Keep them and push them back"));
      await waitFor(() => expect(mocked.resolveHeldDeletions).toHaveBeenCalledWith("memory_cards", "keep"));
      await waitFor(() => expect(screen.getByTestId("sync-message").textContent).toBe("Keeping 120 rows"));
    });

    it("deletes them on request", async () => {
      mocked.listHeldDeletions.mockReset().mockResolvedValue([
        { table: "memory_cards", deleted_here: true, rows: 60, sample: ["c1"] },
      ]);
      mocked.resolveHeldDeletions.mockReset().mockResolvedValue({ ...online });
      render(<SyncIndicator status={{ ...online, held_deletions: 60 }} />);
      fireEvent.click(screen.getByTestId("sync-indicator"));
      expect((await screen.findByTestId("held-deletion-item")).textContent).toContain("deleted on this device, still on the server");
      fireEvent.click(screen.getByTestId("held-delete"));
      await waitFor(() => expect(mocked.resolveHeldDeletions).toHaveBeenCalledWith("memory_cards", "delete"));
    });
  });

  describe("central rows the Noesis server cannot read", () => {
    const online: SyncStatus = { ...base, state: "online", last_sync: null };

    it("says so instead of a plain Synced, and names each row with why", async () => {
      expect(syncSummary({ ...online, unreadable_central: 2 })).toBe("2 server rows the Noesis server cannot read");
      expect(syncSummary({ ...online, unreadable_central: 2, pending: 1 })).toBe("1 change pending");
      mocked.listUnreadableCentral.mockReset().mockResolvedValue([
        { table: "memory_cards", row_id: "typed-in-psql", reason: "category \"fact\" is not one of MemoryCategory's values" },
      ]);
      render(<SyncIndicator status={{ ...online, unreadable_central: 1 }} />);
      expect(screen.getByTestId("unreadable-badge").textContent).toBe("1");
      fireEvent.click(screen.getByTestId("sync-indicator"));
      const item = await screen.findByTestId("unreadable-item");
      expect(item.textContent).toContain("Memory card");
      expect(item.textContent).toContain("typed-in-psql");
      expect(item.textContent).toContain("MemoryCategory");
    });
  });
});
