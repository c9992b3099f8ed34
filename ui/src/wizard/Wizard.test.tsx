import { beforeEach, describe, expect, it, vi } from "vitest";
import { act, fireEvent, render, screen, waitFor } from "@testing-library/preact";
import type { Diagnosis, LegacyScan, SchemaPlan, ServerForm, WizardProgress } from "./api";

let progress: ((e: WizardProgress) => void) | null = null;
vi.mock("./api", () => ({
  wizardApi: {
    start: vi.fn(),
    dismiss: vi.fn(),
    testConnection: vi.fn(),
    saveServer: vi.fn(),
    schemaPlan: vi.fn(),
    applySchema: vi.fn(),
    scanLegacy: vi.fn(),
    inspectLegacy: vi.fn(),
    chooseLegacyFolder: vi.fn(),
    preview: vi.fn(),
    startMigration: vi.fn(),
    cancelMigration: vi.fn(),
    rejects: vi.fn(),
  },
  onWizardProgress: (handler: (e: WizardProgress) => void) => {
    progress = handler;
    return () => (progress = null);
  },
}));

import { wizardApi } from "./api";
import { ServerStep } from "./ServerStep";
import { LegacyStep } from "./LegacyStep";
import { SchemaStep } from "./SchemaStep";
import { MigrateStep, applyProgress } from "./MigrateStep";
import { Wizard } from "./Wizard";

const mocked = wizardApi as unknown as Record<string, ReturnType<typeof vi.fn>>;
const form: ServerForm = { host: "192.168.4.25", port: 5433, database: "noesis", user: "noesis_user", tls_mode: "require", ca_file: null };
const wrongPassword: Diagnosis = {
  ok: false,
  server_version: null,
  findings: [{ problem: "wrong_password", blocking: true, message: "PostgreSQL at 192.168.4.25:5433 rejected the password for user `noesis_user`." }],
};
const good: Diagnosis = {
  ok: true,
  server_version: "PostgreSQL 16.4 on x86_64",
  findings: [{ problem: "pgvector_missing", blocking: false, message: "pgvector is not installed: apt install postgresql-NN-pgvector" }],
};

beforeEach(() => {
  vi.resetAllMocks();
  progress = null;
});

describe("server step", () => {
  it("starts from the defaults and only saves after a good test", async () => {
    const onSaved = vi.fn();
    render(<ServerStep initial={form} onSaved={onSaved} />);
    expect((screen.getByTestId("wz-host") as HTMLInputElement).value).toBe("192.168.4.25");
    expect((screen.getByTestId("wz-port") as HTMLInputElement).value).toBe("5433");
    expect((screen.getByTestId("wz-save") as HTMLButtonElement).disabled).toBe(true);

    mocked.testConnection.mockResolvedValueOnce(wrongPassword);
    fireEvent.input(screen.getByTestId("wz-password"), { target: { value: "bad" } });
    fireEvent.click(screen.getByTestId("wz-test"));
    expect((await screen.findByTestId("diagnosis")).textContent).toContain("rejected the password");
    expect((screen.getByTestId("wz-save") as HTMLButtonElement).disabled).toBe(true);

    mocked.testConnection.mockResolvedValueOnce(good);
    fireEvent.input(screen.getByTestId("wz-password"), { target: { value: "secret" } });
    expect(screen.queryByTestId("diagnosis")).toBeNull();
    fireEvent.click(screen.getByTestId("wz-test"));
    const diagnosis = await screen.findByTestId("diagnosis");
    expect(diagnosis.textContent).toContain("PostgreSQL 16.4");
    expect(diagnosis.textContent).toContain("apt install postgresql-NN-pgvector");
    expect(mocked.testConnection).toHaveBeenLastCalledWith(form, "secret");

    mocked.saveServer.mockResolvedValueOnce({ server_url: "postgres://…", password_stored_in: "the OS keychain" });
    fireEvent.click(screen.getByTestId("wz-save"));
    await waitFor(() => expect(onSaved).toHaveBeenCalledWith("the OS keychain"));
    expect(mocked.saveServer).toHaveBeenCalledWith(form, "secret");
  });

  it("editing a field asks for a new test", async () => {
    mocked.testConnection.mockResolvedValueOnce(good);
    render(<ServerStep initial={form} onSaved={vi.fn()} />);
    fireEvent.click(screen.getByTestId("wz-test"));
    await screen.findByTestId("diagnosis");
    fireEvent.input(screen.getByTestId("wz-host"), { target: { value: "10.0.0.2" } });
    expect(screen.queryByTestId("diagnosis")).toBeNull();
    expect((screen.getByTestId("wz-save") as HTMLButtonElement).disabled).toBe(true);
  });
});

describe("schema step", () => {
  const firstTime: SchemaPlan = {
    current: false,
    schema_version: null,
    target_version: 21,
    changes: [
      { migration: "20261121000002 noesis sync", adds: "Schema noesis_sync (server info, changelog, conflicts, devices) and AFTER triggers." },
      { migration: "20261121000005 changelog pruning", adds: "Changelog pruning: three columns on noesis_sync.server_info and a pruning function." },
    ],
    existing_tables: ["chat_sessions", "memory_cards"],
    adds_embeddings: false,
  };
  const current: SchemaPlan = { ...firstTime, current: true, schema_version: 21, changes: [] };
  /** What the step says outside the Details disclosure. */
  const mainText = () => screen.getByTestId("schema-explain").textContent!;

  it("says in plain words what applying adds, that the Python server is untouched, and who applies it", async () => {
    mocked.schemaPlan.mockResolvedValue(firstTime);
    render(<SchemaStep onNext={vi.fn()} />);
    await screen.findByTestId("schema-explain");
    const text = mainText();
    expect(text).toContain("noesis_sync");
    expect(text).toMatch(/sync, keep history and a trash, and resolve conflicts/);
    expect(text).toContain("The Python server keeps working unchanged");
    expect(text).toContain("Nothing is dropped or rewritten");
    expect(text).toContain("Kept as they are: chat_sessions, memory_cards.");
    expect(text).toContain("the database owner");
    expect(text).toContain("noesis-sync setup");
    // The migrations' technical summaries are not in the main text.
    expect(text).not.toContain("pruning function");
    expect(text).not.toContain("AFTER triggers");
  });

  it("keeps each migration's technical summary behind a Details disclosure, closed at first", async () => {
    mocked.schemaPlan.mockResolvedValue(firstTime);
    render(<SchemaStep onNext={vi.fn()} />);
    const details = (await screen.findByTestId("schema-details")) as HTMLDetailsElement;
    expect(details.open).toBe(false);
    expect(details.querySelector("summary")!.textContent).toBe("Details");
    const items = [...screen.getByTestId("schema-changes").querySelectorAll("li")].map((li) => li.textContent);
    expect(items).toEqual(firstTime.changes.map((c) => c.adds));
    expect(details.textContent).toContain("2 migrations to version 21");
  });

  it("names an upgrade by its versions, and says it creates the Noesis tables on an empty server", async () => {
    mocked.schemaPlan.mockResolvedValue({ ...firstTime, schema_version: 19, existing_tables: [], adds_embeddings: true });
    render(<SchemaStep onNext={vi.fn()} />);
    await screen.findByTestId("schema-explain");
    const text = mainText();
    expect(text).toContain("version 19; this app needs version 21");
    expect(text).toContain("creates them too, exactly as the Python server would");
    expect(text).toContain("finding related items");
    expect(screen.getByTestId("schema-changes").textContent).toContain("pgvector embeddings table");
  });

  it("shows why applying failed, and Check again finds the schema the owner applied meanwhile", async () => {
    mocked.schemaPlan.mockResolvedValueOnce(firstTime).mockResolvedValueOnce(current);
    mocked.applySchema.mockRejectedValue(new Error("user `laptop` lacks a privilege on 192.168.4.25:5433 (permission denied for database noesis): run `noesis-sync setup` as the database owner, or grant the privilege"));
    const onNext = vi.fn();
    render(<SchemaStep onNext={onNext} />);
    expect(screen.queryByTestId("wz-schema-recheck")).toBeNull();
    fireEvent.click(await screen.findByTestId("wz-apply"));
    expect((await screen.findByRole("alert")).textContent).toContain("as the database owner");
    expect((screen.getByTestId("wz-apply") as HTMLButtonElement).disabled).toBe(false);
    fireEvent.click(screen.getByTestId("wz-schema-recheck"));
    await waitFor(() => expect(screen.getByTestId("schema-plan").dataset.current).toBe("true"));
    expect(screen.queryByRole("alert")).toBeNull();
    fireEvent.click(screen.getByTestId("wz-schema-next"));
    expect(onNext).toHaveBeenCalled();
  });

  it("applies the schema and then offers Continue", async () => {
    mocked.schemaPlan.mockResolvedValue(firstTime);
    mocked.applySchema.mockResolvedValue(current);
    render(<SchemaStep onNext={vi.fn()} />);
    fireEvent.click(await screen.findByTestId("wz-apply"));
    await waitFor(() => expect(screen.getByTestId("schema-plan").dataset.current).toBe("true"));
    expect(screen.getByTestId("schema-plan").textContent).toContain("The schema is current (version 21). Applied just now.");
    expect(screen.queryByTestId("schema-details")).toBeNull();
  });
});

describe("legacy step", () => {
  const scan: LegacyScan = {
    found: [],
    looked_in: ["/home/me/myCode/genai-agent-core", "/home/me/noesis"],
    runs: [
      { device_name: "Mac Studio", this_device: false, legacy_dir: "/x", status: "completed", started_at: "2026-11-01T10:00:00Z", finished_at: "2026-11-01T10:05:00Z" },
      { device_name: "Laptop", this_device: true, legacy_dir: "/home/me/noesis", status: "running", started_at: "2026-11-02T10:00:00Z", finished_at: null },
    ],
  };

  it("says another device migrated, offers resuming, checks a typed folder", async () => {
    mocked.scanLegacy.mockResolvedValue(scan);
    const onResume = vi.fn();
    const onPreview = vi.fn();
    render(<LegacyStep onPreview={onPreview} onResume={onResume} onNoData={vi.fn()} />);
    expect((await screen.findByTestId("other-device-migrated")).textContent).toContain("Mac Studio");
    expect(screen.getByTestId("legacy-none-found")).toBeTruthy();
    fireEvent.click(screen.getByTestId("wz-resume"));
    expect(onResume).toHaveBeenCalledWith("/home/me/noesis");

    mocked.inspectLegacy.mockRejectedValueOnce(new Error("no legacy store in /tmp"));
    fireEvent.input(screen.getByTestId("wz-legacy-path"), { target: { value: "/tmp" } });
    fireEvent.click(screen.getByTestId("wz-legacy-check"));
    expect((await screen.findByTestId("legacy-error")).textContent).toContain("no legacy store");
    expect((screen.getByTestId("wz-preview") as HTMLButtonElement).disabled).toBe(true);

    mocked.inspectLegacy.mockResolvedValueOnce({ path: "/data/old", stores: [], tables: [{ table: "memory_cards", rows: 1234 }] });
    fireEvent.input(screen.getByTestId("wz-legacy-path"), { target: { value: "/data/old" } });
    fireEvent.click(screen.getByTestId("wz-legacy-check"));
    expect((await screen.findByTestId("legacy-counts")).textContent).toContain("1,234");
    fireEvent.click(screen.getByTestId("wz-preview"));
    expect(onPreview).toHaveBeenCalledWith("/data/old");
  });

  it("knows when this device already migrated to this server and lets the user finish", async () => {
    const migrated = { device_name: "Laptop", this_device: true, legacy_dir: "/home/me/noesis", status: "completed", started_at: "2026-11-02T10:00:00Z", finished_at: "2026-11-02T10:04:00Z" };
    mocked.scanLegacy.mockResolvedValue({ ...scan, runs: [migrated] });
    const onNoData = vi.fn();
    render(<LegacyStep onPreview={vi.fn()} onResume={vi.fn()} onNoData={onNoData} />);
    expect((await screen.findByTestId("this-device-migrated")).textContent).toContain("already brought its legacy data from /home/me/noesis");
    expect(screen.queryByTestId("resume-notice")).toBeNull();
    fireEvent.click(screen.getByTestId("wz-already-migrated"));
    expect(onNoData).toHaveBeenCalled();
  });

  it("'Choose folder…' puts the chosen folder in the field and checks it like a typed one", async () => {
    mocked.scanLegacy.mockResolvedValue({ ...scan, runs: [] });
    const onPreview = vi.fn();
    render(<LegacyStep onPreview={onPreview} onResume={vi.fn()} onNoData={vi.fn()} />);
    const path = () => (screen.getByTestId("wz-legacy-path") as HTMLInputElement).value;

    // Cancelled: nothing is checked and the field keeps what was typed.
    fireEvent.input(await screen.findByTestId("wz-legacy-path"), { target: { value: "~/typed" } });
    mocked.chooseLegacyFolder.mockResolvedValueOnce(null);
    fireEvent.click(screen.getByTestId("wz-legacy-choose"));
    await waitFor(() => expect(mocked.chooseLegacyFolder).toHaveBeenCalledTimes(1));
    expect(mocked.inspectLegacy).not.toHaveBeenCalled();
    expect(path()).toBe("~/typed");

    // A folder without legacy stores: the same refusal as for a typed one.
    mocked.chooseLegacyFolder.mockResolvedValueOnce("/home/me/Pictures");
    mocked.inspectLegacy.mockRejectedValueOnce(new Error("no legacy store in /home/me/Pictures"));
    fireEvent.click(screen.getByTestId("wz-legacy-choose"));
    expect((await screen.findByTestId("legacy-error")).textContent).toContain("no legacy store in /home/me/Pictures");
    expect(mocked.inspectLegacy).toHaveBeenLastCalledWith("/home/me/Pictures");
    expect(path()).toBe("/home/me/Pictures");
    expect((screen.getByTestId("wz-preview") as HTMLButtonElement).disabled).toBe(true);

    // The right folder: counted, and previewed from that folder.
    mocked.chooseLegacyFolder.mockResolvedValueOnce("/home/me/old-noesis");
    mocked.inspectLegacy.mockResolvedValueOnce({ path: "/home/me/old-noesis", stores: [], tables: [{ table: "memory_cards", rows: 42 }] });
    fireEvent.click(screen.getByTestId("wz-legacy-choose"));
    expect((await screen.findByTestId("legacy-counts")).textContent).toContain("42");
    expect(screen.queryByTestId("legacy-error")).toBeNull();
    expect(path()).toBe("/home/me/old-noesis");
    fireEvent.click(screen.getByTestId("wz-preview"));
    expect(onPreview).toHaveBeenCalledWith("/home/me/old-noesis");
  });

  it("'no legacy data' skips to the end", async () => {
    mocked.scanLegacy.mockResolvedValue({ ...scan, runs: [] });
    const onNoData = vi.fn();
    render(<LegacyStep onPreview={vi.fn()} onResume={vi.fn()} onNoData={onNoData} />);
    fireEvent.click(await screen.findByTestId("wz-no-legacy"));
    expect(onNoData).toHaveBeenCalled();
  });
});

describe("migrate step", () => {
  it("folds progress events into per-table bars", () => {
    let t = applyProgress({}, { kind: "table_started", table: "memory_cards", total: 1000, resumed_after: 0 });
    t = applyProgress(t, { kind: "rows", table: "memory_cards", done: 250, total: 1000, rows_per_sec: 500, eta_secs: 1.5 });
    expect(t.memory_cards).toEqual({ done: 250, total: 1000, rate: 500, eta: 1.5, state: "running" });
    t = applyProgress(t, { kind: "table_finished", table: "memory_cards" });
    expect(t.memory_cards.state).toBe("done");
    expect(t.memory_cards.done).toBe(1000);
  });

  it("shows rows/s and time left, and cancel offers resume", async () => {
    mocked.startMigration.mockResolvedValue(null);
    mocked.cancelMigration.mockResolvedValue(null);
    render(<MigrateStep legacyDir="/old" tableNames={["memory_cards", "documents"]} onFinished={vi.fn()} />);
    await waitFor(() => expect(mocked.startMigration).toHaveBeenCalledWith("/old"));
    act(() => progress!({ kind: "table_started", table: "memory_cards", total: 4000, resumed_after: 0 }));
    act(() => progress!({ kind: "rows", table: "memory_cards", done: 1000, total: 4000, rows_per_sec: 2000, eta_secs: 90 }));
    const bar = screen.getByTestId("progress-memory_cards");
    expect(bar.textContent).toContain("1,000 of 4,000");
    expect(bar.textContent).toContain("2,000 rows/s");
    expect(bar.textContent).toContain("1 min 30 s left");
    expect(bar.querySelector("[role=progressbar]")!.getAttribute("aria-valuenow")).toBe("25");
    expect(screen.getByTestId("progress-documents").dataset.state).toBe("waiting");

    fireEvent.click(screen.getByTestId("wz-cancel"));
    expect(mocked.cancelMigration).toHaveBeenCalled();
    act(() => progress!({ kind: "cancelled" }));
    expect(screen.getByTestId("migrate-cancelled").textContent).toContain("Resume continues");
    expect(screen.getByTestId("progress-memory_cards").textContent).toContain("1,000 of 4,000 · stopped");
    fireEvent.click(screen.getByTestId("wz-resume-run"));
    await waitFor(() => expect(mocked.startMigration).toHaveBeenCalledTimes(2));
  });
});

describe("wizard", () => {
  it("'Skip for now' records the choice and opens the main window", async () => {
    mocked.dismiss.mockResolvedValue(null);
    const onClose = vi.fn();
    render(<Wizard initialForm={form} onClose={onClose} />);
    expect(screen.getByTestId("wizard").dataset.step).toBe("server");
    fireEvent.click(screen.getByTestId("wz-skip"));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(mocked.dismiss).toHaveBeenCalled();
  });
});
