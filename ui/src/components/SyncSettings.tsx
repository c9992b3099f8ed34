// Settings sections for sync and the app on this device: pause, what closing
// the window does, log level (applied at once) and the logs folder, and the
// schema versions for About. Server settings belong to the first-run wizard.
import { useState } from "preact/hooks";
import { api, messageOf } from "../lib/api";
import type { Preferences } from "../lib/api";
import { useAsync } from "../lib/useAsync";

export function SyncSettings({ deviceId }: { deviceId: string }) {
  const [prefs, reload, setPrefs] = useAsync(() => api.getPreferences(), []);
  const [message, setMessage] = useState<string | null>(null);
  if (prefs.state === "loading") return null;
  if (prefs.state === "error")
    return (
      <p class="error-text" role="alert">
        {prefs.message} <button type="button" onClick={reload}>Try again</button>
      </p>
    );
  const p = prefs.value;

  const change = async (action: () => Promise<Preferences | unknown>, done: string) => {
    setMessage(null);
    try {
      const result = await action();
      if (result && typeof result === "object" && "log_level" in result) setPrefs(result as Preferences);
      else reload();
      setMessage(done);
    } catch (e) {
      setMessage(messageOf(e));
    }
  };

  return (
    <>
      <section class="group-box" data-testid="sync-settings">
        <h2>Sync on this device</h2>
        <div class="setting-row">
          <label class="setting-label" for="settings-pause">Pause sync</label>
          <label class="toggle">
            <input type="checkbox" id="settings-pause" data-testid="settings-pause" checked={p.sync_paused}
              onChange={(e) => {
                const paused = (e.currentTarget as HTMLInputElement).checked;
                void change(() => api.setSyncPaused(paused), paused ? "Sync paused" : "Sync resumed");
              }} />
            <span class="muted">Edits wait on this device; stays paused after a restart</span>
          </label>
        </div>
        <div class="setting-row">
          <label class="setting-label" for="settings-tray">Closing the window</label>
          <label class="toggle">
            <input type="checkbox" id="settings-tray" data-testid="settings-tray" checked={p.close_to_tray}
              onChange={(e) => {
                const keep = (e.currentTarget as HTMLInputElement).checked;
                void change(() => api.setCloseToTray(keep), "Saved");
              }} />
            <span class="muted">Keeps syncing from the tray icon (Quit from the tray to stop)</span>
          </label>
        </div>
        {p.start_at_login !== null && (
          <div class="setting-row">
            <label class="setting-label" for="settings-login">Start at login</label>
            <label class="toggle">
              <input type="checkbox" id="settings-login" data-testid="settings-login" checked={p.start_at_login}
                onChange={(e) => {
                  const on = (e.currentTarget as HTMLInputElement).checked;
                  void change(() => api.setStartAtLogin(on), on ? "Noesis will start in the tray when you log in" : "Saved");
                }} />
              <span class="muted">Open Noesis in the tray when you log in, so sync runs all day</span>
            </label>
          </div>
        )}
        <div class="setting-row">
          <label class="setting-label" for="log-level">Log level</label>
          <div class="inline-form">
            <select id="log-level" data-testid="log-level" value={p.log_level}
              onChange={(e) => {
                const level = (e.currentTarget as HTMLSelectElement).value;
                void change(() => api.setLogLevel(level), `Logging at ${level} from now on`);
              }}>
              {p.log_levels.map((l) => (
                <option key={l} value={l}>{l}</option>
              ))}
            </select>
            <button type="button" data-testid="open-logs" onClick={() => change(() => api.openLogsFolder(), "Opened the logs folder")}>
              Open logs folder
            </button>
          </div>
        </div>
        <div class="setting-row">
          <span class="setting-label">Logs</span>
          <code data-testid="logs-dir">{p.logs_dir}</code>
        </div>
        {message && (
          <p class="muted small" role="status" data-testid="prefs-message">
            {message}
          </p>
        )}
      </section>
      <section class="group-box" data-testid="about-schema">
        <h2>Versions</h2>
        <div class="setting-row">
          <span class="setting-label">Cache schema</span>
          <span data-testid="cache-schema">{p.cache_schema_version}</span>
        </div>
        <div class="setting-row">
          <span class="setting-label" title="The central schema version this build understands">Server schema</span>
          <span data-testid="server-schema">{p.server_schema_version}</span>
        </div>
        <div class="setting-row">
          <span class="setting-label">Device id</span>
          <code>{deviceId}</code>
        </div>
      </section>
    </>
  );
}
