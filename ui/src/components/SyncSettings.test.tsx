import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import type { Preferences } from "../lib/api";

vi.mock("../lib/api", () => ({
  messageOf: (e: unknown) => (e instanceof Error ? e.message : String(e)),
  api: { getPreferences: vi.fn(), setLogLevel: vi.fn(), setCloseToTray: vi.fn(), setSyncPaused: vi.fn(), openLogsFolder: vi.fn(), setStartAtLogin: vi.fn() },
}));

import { api } from "../lib/api";
import { SyncSettings } from "./SyncSettings";

const mocked = api as unknown as Record<string, ReturnType<typeof vi.fn>>;
const prefs: Preferences = {
  sync_paused: false,
  log_level: "info",
  log_levels: ["error", "warn", "info", "debug", "trace"],
  close_to_tray: true,
  logs_dir: "/home/me/.local/share/Noesis/logs",
  cache_schema_version: 4,
  server_schema_version: 2,
  start_at_login: null,
};

beforeEach(() => {
  vi.resetAllMocks();
  mocked.getPreferences.mockResolvedValue(prefs);
});

describe("SyncSettings", () => {
  it("shows the device's choices, the logs folder and the schema versions", async () => {
    render(<SyncSettings deviceId="dev-1" />);
    expect(((await screen.findByTestId("log-level")) as HTMLSelectElement).value).toBe("info");
    expect((screen.getByTestId("settings-tray") as HTMLInputElement).checked).toBe(true);
    expect((screen.getByTestId("settings-pause") as HTMLInputElement).checked).toBe(false);
    expect(screen.getByTestId("logs-dir").textContent).toBe(prefs.logs_dir);
    expect(screen.getByTestId("cache-schema").textContent).toBe("4");
  });

  it("changes the log level at once and says so", async () => {
    mocked.setLogLevel.mockResolvedValue({ ...prefs, log_level: "debug" });
    render(<SyncSettings deviceId="dev-1" />);
    const select = (await screen.findByTestId("log-level")) as HTMLSelectElement;
    fireEvent.change(select, { target: { value: "debug" } });
    await waitFor(() => expect(screen.getByTestId("prefs-message").textContent).toBe("Logging at debug from now on"));
    expect(mocked.setLogLevel).toHaveBeenCalledWith("debug");
  });

  it("pauses sync and turns off syncing from the tray", async () => {
    mocked.setSyncPaused.mockResolvedValue({});
    mocked.setCloseToTray.mockResolvedValue({ ...prefs, close_to_tray: false });
    render(<SyncSettings deviceId="dev-1" />);
    fireEvent.click(await screen.findByTestId("settings-pause"));
    await waitFor(() => expect(mocked.setSyncPaused).toHaveBeenCalledWith(true));
    fireEvent.click(screen.getByTestId("settings-tray"));
    await waitFor(() => expect(mocked.setCloseToTray).toHaveBeenCalledWith(false));
  });

  it("offers start at login only where the app can do it", async () => {
    const { unmount } = render(<SyncSettings deviceId="dev-1" />);
    await screen.findByTestId("log-level");
    expect(screen.queryByTestId("settings-login")).toBeNull();
    unmount();
    mocked.getPreferences.mockResolvedValue({ ...prefs, start_at_login: false });
    mocked.setStartAtLogin.mockResolvedValue({ ...prefs, start_at_login: true });
    render(<SyncSettings deviceId="dev-1" />);
    fireEvent.click(await screen.findByTestId("settings-login"));
    await waitFor(() => expect(mocked.setStartAtLogin).toHaveBeenCalledWith(true));
  });
});
