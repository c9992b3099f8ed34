// Settings: real facts about this device only (no invented server state).
import { useState } from "preact/hooks";
import { api, messageOf } from "../lib/api";
import type { Settings, SyncStatus } from "../lib/api";
import { applyAppearance, loadAppearance } from "../lib/theme";
import type { Appearance } from "../lib/theme";
import { useAsync } from "../lib/useAsync";
import { ErrorState, Loading } from "../components/States";
import { syncStateLabel, syncSummary } from "../components/SyncIndicator";
import { openWizard } from "../wizard/gate";
import { SyncSettings } from "../components/SyncSettings";
import { ServerChange } from "../components/ServerChange";

/** The text shown where a server would be when none is configured. */
export const LOCAL_ONLY = "Local only — no server configured";

export function SettingsView({ sync }: { sync: SyncStatus | null }) {
  const [settings, reload, setSettings] = useAsync(() => api.getSettings(), []);
  if (settings.state === "loading") return <Loading label="Loading settings…" />;
  if (settings.state === "error") return <ErrorState message={settings.message} onRetry={reload} />;
  return <SettingsForm settings={settings.value} sync={sync} onSaved={setSettings} onServerChanged={reload} />;
}

function SettingsForm(props: { settings: Settings; sync: SyncStatus | null; onSaved: (s: Settings) => void; onServerChanged: () => void }) {
  const { settings, sync, onSaved } = props;
  const [name, setName] = useState(settings.device_name);
  const [message, setMessage] = useState<string | null>(null);
  const [changingServer, setChangingServer] = useState(false);
  const [serverMessage, setServerMessage] = useState<string | null>(null);
  const [appearance, setAppearance] = useState<Appearance>(loadAppearance());

  const saveName = async (event: Event) => {
    event.preventDefault();
    try {
      const saved = await api.setDeviceName(name);
      onSaved(saved);
      setName(saved.device_name);
      setMessage("Saved");
    } catch (e) {
      setMessage(messageOf(e));
    }
  };

  return (
    <div class="settings scroll" data-testid="settings">
      <h1>Settings</h1>
      <section class="group-box">
        <h2>This device</h2>
        <form class="setting-row" onSubmit={saveName}>
          <label for="device-name">Device name</label>
          <div class="inline-form">
            <input id="device-name" data-testid="device-name" value={name}
              onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
            <button type="submit" disabled={name.trim() === "" || name.trim() === settings.device_name}>
              Rename
            </button>
            {message && <span class="muted" role="status">{message}</span>}
          </div>
        </form>
        <div class="setting-row">
          <span class="setting-label">Device id</span>
          <code data-testid="device-id">{settings.device_id}</code>
        </div>
        <div class="setting-row">
          <span class="setting-label">Data folder</span>
          <code data-testid="data-dir">{settings.data_dir}</code>
        </div>
      </section>
      <section class="group-box">
        <h2>Sync</h2>
        <div class="setting-row">
          <span class="setting-label">Server</span>
          <span data-testid="server-url">{settings.server_url ?? LOCAL_ONLY}</span>
          {settings.server_url ? (
            <button type="button" data-testid="change-server" disabled={changingServer}
              onClick={() => {
                setServerMessage(null);
                setChangingServer(true);
              }}>
              Change…
            </button>
          ) : (
            <button type="button" data-testid="open-wizard" onClick={() => openWizard()}>
              Set up…
            </button>
          )}
        </div>
        {changingServer && (
          <ServerChange
            onCancel={() => setChangingServer(false)}
            onDone={(done) => {
              setChangingServer(false);
              setServerMessage(done);
              props.onServerChanged();
            }}
          />
        )}
        {serverMessage && (
          <p class="muted small" role="status" data-testid="server-change-done">
            {serverMessage}
          </p>
        )}
        {settings.server_warning && (
          <p class="server-problem" role="alert" data-testid="server-warning">
            {settings.server_warning}
          </p>
        )}
        <div class="setting-row">
          <span class="setting-label">Status</span>
          <span data-testid="settings-sync-status">
            {sync ? `${syncStateLabel(sync.state)} · ${syncSummary(sync)}` : "—"}
          </span>
        </div>
        {sync?.error_message && (sync.state === "offline" || sync.state === "error") && (
          <p class="server-problem" role="status" data-testid="settings-sync-reason">
            {sync.error_message}
          </p>
        )}
        {settings.server_url === null && (
          <p class="muted small">
            Everything you do is saved on this device. Set up a server to sync with your other machines and bring in your old
            Noesis data.
          </p>
        )}
      </section>
      <SyncSettings deviceId={settings.device_id} />
      <section class="group-box">
        <h2>Appearance</h2>
        <div class="setting-row">
          <span class="setting-label">Theme</span>
          <div class="segmented" role="radiogroup" aria-label="Theme">
            {(["system", "light", "dark"] as Appearance[]).map((a) => (
              <button key={a} type="button" role="radio" aria-checked={appearance === a} data-testid={`theme-${a}`}
                class={appearance === a ? "on" : ""}
                onClick={() => {
                  setAppearance(a);
                  applyAppearance(a);
                }}>
                {a[0].toUpperCase() + a.slice(1)}
              </button>
            ))}
          </div>
        </div>
      </section>
      <section class="group-box">
        <h2>About</h2>
        <div class="setting-row">
          <span class="setting-label">Version</span>
          <span data-testid="app-version">Noesis {settings.app_version}</span>
        </div>
      </section>
    </div>
  );
}
