import { describe, expect, it } from "vitest";
import { fireEvent, render, screen } from "@testing-library/preact";
import { SyncIndicator, syncSummary } from "./SyncIndicator";
import type { SyncStatus } from "../lib/api";

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
});
