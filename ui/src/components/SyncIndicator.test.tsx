import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/preact";

vi.mock("../lib/api", () => ({
  messageOf: (e: unknown) => (e instanceof Error ? e.message : String(e)),
  api: { syncNow: vi.fn(), setSyncPaused: vi.fn() },
}));

import { api } from "../lib/api";
import { SyncIndicator, syncSummary } from "./SyncIndicator";
import type { SyncStatus } from "../lib/api";

const mocked = api as unknown as Record<string, ReturnType<typeof vi.fn>>;

const base: SyncStatus = { state: "local_only", pending: 0, last_sync: null, conflicts: 0, error_message: null };

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
});
