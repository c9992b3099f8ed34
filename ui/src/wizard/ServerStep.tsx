// Step 1: the server form, "Test connection" with its diagnosis, and saving
// (the password goes to the OS keychain).
import { useState } from "preact/hooks";
import { wizardApi } from "./api";
import type { Diagnosis, ServerForm, TlsMode } from "./api";
import { messageOf } from "../lib/api";

const TLS_MODES: { value: TlsMode; label: string }[] = [
  { value: "require", label: "Require (no certificate check)" },
  { value: "verify-ca", label: "Verify CA" },
  { value: "verify-full", label: "Verify CA and host name" },
  { value: "prefer", label: "Prefer (plain TCP if the server has no TLS)" },
  { value: "disable", label: "Disable (plain TCP)" },
];

export function DiagnosisView({ diagnosis }: { diagnosis: Diagnosis }) {
  return (
    <div class="wz-diagnosis" data-testid="diagnosis" data-ok={String(diagnosis.ok)} role="status" aria-live="polite">
      {diagnosis.ok && (
        <div class="wz-finding ok">
          <span class="wz-mark" aria-hidden="true">✓</span>
          <div>
            <strong>Connected.</strong> {diagnosis.server_version?.split(" on ")[0] ?? "PostgreSQL"}
          </div>
        </div>
      )}
      {diagnosis.findings.map((f) => (
        <div key={f.problem} class={f.blocking ? "wz-finding bad" : "wz-finding warn"} data-problem={f.problem}>
          <span class="wz-mark" aria-hidden="true">{f.blocking ? "✕" : "!"}</span>
          <div>{f.message}</div>
        </div>
      ))}
    </div>
  );
}

export function ServerStep({ initial, onSaved }: { initial: ServerForm; onSaved: (storedIn: string | null) => void }) {
  const [form, setForm] = useState<ServerForm>(initial);
  const [password, setPassword] = useState("");
  const [diagnosis, setDiagnosis] = useState<Diagnosis | null>(null);
  const [busy, setBusy] = useState<"test" | "save" | null>(null);
  const [error, setError] = useState<string | null>(null);

  const change = (patch: Partial<ServerForm>) => {
    setForm({ ...form, ...patch });
    setDiagnosis(null);
  };
  const test = async () => {
    setBusy("test");
    setError(null);
    try {
      setDiagnosis(await wizardApi.testConnection(form, password || null));
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(null);
    }
  };
  const save = async () => {
    setBusy("save");
    setError(null);
    try {
      const saved = await wizardApi.saveServer(form, password || null);
      onSaved(saved.password_stored_in);
    } catch (e) {
      setError(messageOf(e));
      setBusy(null);
    }
  };
  const verify = form.tls_mode === "verify-ca" || form.tls_mode === "verify-full";

  return (
    <form
      class="wz-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (diagnosis?.ok) void save();
        else void test();
      }}
    >
      <div class="wz-grid">
        <label>
          Host
          <input data-testid="wz-host" value={form.host} onInput={(e) => change({ host: e.currentTarget.value })} autoFocus />
        </label>
        <label class="wz-narrow">
          Port
          <input
            data-testid="wz-port"
            inputMode="numeric"
            value={String(form.port)}
            onInput={(e) => change({ port: Number(e.currentTarget.value.replace(/\D/g, "")) || 0 })}
          />
        </label>
        <label>
          Database
          <input data-testid="wz-database" value={form.database} onInput={(e) => change({ database: e.currentTarget.value })} />
        </label>
        <label>
          User
          <input data-testid="wz-user" value={form.user} onInput={(e) => change({ user: e.currentTarget.value })} autoComplete="username" />
        </label>
        <label>
          Password
          <input
            data-testid="wz-password"
            type="password"
            value={password}
            autoComplete="current-password"
            onInput={(e) => {
              setPassword(e.currentTarget.value);
              setDiagnosis(null);
            }}
          />
        </label>
        <label>
          TLS
          <select data-testid="wz-tls" value={form.tls_mode} onChange={(e) => change({ tls_mode: e.currentTarget.value as TlsMode })}>
            {TLS_MODES.map((m) => (
              <option key={m.value} value={m.value}>
                {m.label}
              </option>
            ))}
          </select>
        </label>
        {verify && (
          <label class="wz-wide">
            CA certificate file
            <input
              data-testid="wz-ca"
              placeholder="/path/to/ca.pem"
              value={form.ca_file ?? ""}
              onInput={(e) => change({ ca_file: e.currentTarget.value || null })}
            />
          </label>
        )}
      </div>
      <p class="muted small">The password is kept in this computer's keychain, never in a file.</p>
      {diagnosis && <DiagnosisView diagnosis={diagnosis} />}
      {error && (
        <div class="wz-finding bad" role="alert">
          <span class="wz-mark" aria-hidden="true">✕</span>
          <div>{error}</div>
        </div>
      )}
      <div class="wz-actions">
        <button type="button" data-testid="wz-test" onClick={test} disabled={busy !== null}>
          {busy === "test" ? "Testing…" : "Test connection"}
        </button>
        <button type="submit" class="primary" data-testid="wz-save" disabled={!diagnosis?.ok || busy !== null}>
          {busy === "save" ? "Saving…" : "Save and continue"}
        </button>
      </div>
    </form>
  );
}
