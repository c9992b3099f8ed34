import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import type { Settings } from "../lib/api";

vi.mock("../lib/api", () => ({
  messageOf: (e: unknown) => (e instanceof Error ? e.message : String(e)),
  api: { getSettings: vi.fn(), setDeviceName: vi.fn(), getPreferences: vi.fn() },
}));
vi.mock("../wizard/api", () => ({
  wizardApi: { start: vi.fn(), testConnection: vi.fn(), saveServer: vi.fn(), nextStep: vi.fn() },
}));

import { api } from "../lib/api";
import { wizardApi } from "../wizard/api";
import { SettingsView, LOCAL_ONLY } from "./Settings";

const mocked = api as unknown as Record<string, ReturnType<typeof vi.fn>>;
const wizard = wizardApi as unknown as Record<string, ReturnType<typeof vi.fn>>;
const settings: Settings = {
  device_id: "9c207aac-2cc6-4b90-bdc9-ba03d547faf4",
  device_name: "Mac Studio",
  data_dir: "/home/me/.local/share/Noesis",
  cache_path: "/home/me/.local/share/Noesis/cache.sqlite3",
  server_url: null,
  server_warning: null,
  app_version: "0.1.0",
};

beforeEach(() => {
  vi.resetAllMocks();
  mocked.getSettings.mockResolvedValue(settings);
  mocked.getPreferences.mockReturnValue(new Promise(() => {}));
});

describe("SettingsView", () => {
  it("says the app is local only when no server is configured", async () => {
    render(<SettingsView sync={null} />);
    expect((await screen.findByTestId("server-url")).textContent).toBe(LOCAL_ONLY);
    expect(screen.getByTestId("data-dir").textContent).toBe(settings.data_dir);
    expect(screen.getByTestId("device-id").textContent).toBe(settings.device_id);
  });

  it("shows the server without password when one is configured", async () => {
    mocked.getSettings.mockResolvedValue({ ...settings, server_url: "postgres://noesis_user@192.168.4.25:5433/noesis" });
    render(<SettingsView sync={null} />);
    expect((await screen.findByTestId("server-url")).textContent).toBe("postgres://noesis_user@192.168.4.25:5433/noesis");
  });

  it("warns when the saved server may get the password without TLS", async () => {
    const warning = "The connection to 192.168.4.25 may go without TLS (sslmode=prefer): anyone on the network path can read the data";
    mocked.getSettings.mockResolvedValue({ ...settings, server_url: "postgres://noesis_user@192.168.4.25:5433/noesis?sslmode=prefer", server_warning: warning });
    render(<SettingsView sync={null} />);
    expect((await screen.findByTestId("server-warning")).textContent).toBe(warning);
  });

  it("says offline and why, as the indicator does, when the server cannot be reached", async () => {
    const reason = "cannot reach PostgreSQL at 192.168.4.25:5433 (connection refused: nothing listens on that port): check …";
    mocked.getSettings.mockResolvedValue({ ...settings, server_url: "postgres://noesis_user@192.168.4.25:5433/noesis" });
    const sync = { state: "offline" as const, pending: 1, last_sync: null, conflicts: 0, error_message: reason, not_accepted: 0, held_deletions: 0, unreadable_central: 0 };
    render(<SettingsView sync={sync} />);
    expect((await screen.findByTestId("settings-sync-status")).textContent).toBe("Offline · 1 change pending");
    expect(screen.getByTestId("settings-sync-reason").textContent).toBe(reason);
  });

  describe("changing the server", () => {
    const saved = "postgres://noesis_user@192.168.4.25:5433/noesis";
    const form = { host: "192.168.4.25", port: 5432, database: "noesis", user: "noesis_user", tls_mode: "require", ca_file: null };
    const change = async () => {
      mocked.getSettings.mockResolvedValue({ ...settings, server_url: saved });
      wizard.start.mockResolvedValue({ show: false, form, server_configured: true });
      wizard.testConnection.mockResolvedValue({ ok: true, server_version: "PostgreSQL 16.4 on x86_64", findings: [] });
      wizard.saveServer.mockResolvedValue({ server_url: saved, password_stored_in: null });
      const opened = vi.fn();
      window.addEventListener("noesis:open-wizard", (e) => opened((e as CustomEvent).detail));
      render(<SettingsView sync={null} />);
      fireEvent.click(await screen.findByTestId("change-server"));
      const port = await screen.findByTestId("wz-port");
      fireEvent.input(port, { target: { value: "5433" } });
      fireEvent.click(screen.getByTestId("wz-test"));
      await screen.findByTestId("diagnosis");
      fireEvent.click(screen.getByTestId("wz-save"));
      await waitFor(() => expect(wizard.saveServer).toHaveBeenCalledWith({ ...form, port: 5433 }, null));
      return opened;
    };

    it("tests and saves in place, and walks no wizard on a device that migrated to that server", async () => {
      wizard.nextStep.mockResolvedValue({
        step: "done",
        run: { device_name: "Laptop", this_device: true, legacy_dir: "/home/me/noesis", status: "completed", started_at: "2026-11-02T10:00:00Z", finished_at: "2026-11-02T10:04:00Z" },
      });
      const opened = await change();
      expect((await screen.findByTestId("server-change-done")).textContent).toContain("nothing more to do");
      expect(opened).not.toHaveBeenCalled();
      expect(screen.queryByTestId("server-change")).toBeNull();
    });

    it("opens the wizard at the legacy step only when this device never migrated there", async () => {
      wizard.nextStep.mockResolvedValue({ step: "legacy" });
      const opened = await change();
      await waitFor(() => expect(opened).toHaveBeenCalledWith("legacy"));
    });
  });

  it("renames the device", async () => {
    mocked.setDeviceName.mockResolvedValue({ ...settings, device_name: "Laptop" });
    render(<SettingsView sync={null} />);
    const input = await screen.findByTestId("device-name");
    fireEvent.input(input, { target: { value: "Laptop" } });
    fireEvent.click(screen.getByText("Rename"));
    await waitFor(() => expect(mocked.setDeviceName).toHaveBeenCalledWith("Laptop"));
    expect(await screen.findByText("Saved")).toBeTruthy();
  });

  it("shows why settings could not be read, with a retry", async () => {
    mocked.getSettings.mockRejectedValueOnce(new Error("local cache failed while reading sync state: disk full"));
    render(<SettingsView sync={null} />);
    expect(await screen.findByText(/disk full/)).toBeTruthy();
    fireEvent.click(screen.getByText("Try again"));
    expect(await screen.findByTestId("server-url")).toBeTruthy();
  });
});
