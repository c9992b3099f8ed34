// The first-run wizard in the real app, against the test PostgreSQL and a
// generated legacy store: fill the server form, test the connection (a wrong
// password first), save (the password goes to the keychain: a kernel session
// keyring under scripts/test-desktop.sh), apply the schema, pick the legacy
// folder, preview, migrate with per-table progress, read the report, and land
// in the main window filled from the local cache. A screenshot of each step.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunningApp, newDataDir, sql, TESTDATA } from "./harness";
import { sleep } from "./webdriver";

const ADMIN = process.env.NOESIS_TEST_DATABASE_URL;
const PSQL = process.env.NOESIS_TEST_PG_BIN ? join(process.env.NOESIS_TEST_PG_BIN, "psql") : "psql";
const DATABASE = `noesis_e2e_wizard_${process.pid}`;

function psql(statement: string): void {
  execFileSync(PSQL, ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", ADMIN!, "-c", statement], { encoding: "utf8" });
}

if (!ADMIN && process.env.NOESIS_TEST_REQUIRE_SERVER) {
  throw new Error("NOESIS_TEST_DATABASE_URL is not set but scripts/test.sh requires the wizard end-to-end tests to run");
}
describe.skipIf(!ADMIN)("the first-run wizard against a real server", () => {
  const dataDir = newDataDir();
  const legacyDir = mkdtempSync(join(tmpdir(), "noesis-e2e-legacy-"));
  const server = new URL(ADMIN ?? "postgres://x@localhost/x");
  let app: RunningApp;

  beforeAll(async () => {
    psql(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    psql(`CREATE DATABASE ${DATABASE}`);
    // A twentieth of the benchmark store (5,000 cards, 10,000 chunks…) plus one of every hostile row.
    execFileSync(TESTDATA, [legacyDir, "--hostile", "--scale", "0.05"], { encoding: "utf8" });
    app = await RunningApp.launch(dataDir);
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(legacyDir, { recursive: true, force: true });
    try {
      psql(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    } catch {
      // A leftover test database is harmless.
    }
  });


  it("opens on a new device with the home server's defaults", async () => {
    const s = app.session;
    await s.find("[data-testid=wizard][data-step=server]");
    expect(await (await s.find("[data-testid=wz-host]")).property("value")).toBe("192.168.4.25");
    expect(await (await s.find("[data-testid=wz-port]")).property("value")).toBe("5433");
    expect(await (await s.find("[data-testid=wz-tls]")).property("value")).toBe("require");
    await app.screenshot("wizard-1-server");
    await s.execute("document.documentElement.setAttribute('data-theme', 'dark')");
    await app.screenshot("wizard-1-server-dark");
    await s.execute("document.documentElement.removeAttribute('data-theme')");
  });

  it("diagnoses a wrong password, then connects", async () => {
    const s = app.session;
    await app.fillServerForm(server, DATABASE);
    await app.fill("wz-password", "not-the-password");
    await (await s.find("[data-testid=wz-test]")).click();
    const wrong = await s.waitForText("[data-testid=diagnosis]", (t) => t.includes("rejected the password"), 20_000);
    expect(wrong).toContain(`\`${decodeURIComponent(server.username)}\``);
    await app.screenshot("wizard-1-server-wrong-password");
    await app.fill("wz-password", decodeURIComponent(server.password));
    await (await s.find("[data-testid=wz-test]")).click();
    await s.find("[data-testid=diagnosis][data-ok=true]", 20_000);
    await app.screenshot("wizard-1-server-ok");
    await (await s.find("[data-testid=wz-save]")).click();
    await s.find("[data-testid=wizard][data-step=schema]", 20_000);
  });

  it("saved the server without writing the password to a file", () => {
    const saved = sql(dataDir, "SELECT value FROM sync_state WHERE key = 'server_url'");
    expect(saved).toContain(DATABASE);
    expect(saved).not.toContain(decodeURIComponent(server.password));
    const grep = spawnSync("grep", ["-rlF", decodeURIComponent(server.password), dataDir], { encoding: "utf8" });
    expect(grep.stdout.trim(), "no file in the data folder holds the password").toBe("");
  });

  it("shows what the schema adds and applies it", async () => {
    const s = app.session;
    const plan = await s.waitForText("[data-testid=schema-explain]", (t) => t.includes("Who applies it"), 20_000);
    expect(plan).toContain("The Python server keeps working unchanged");
    expect(plan).toContain("noesis_sync");
    // The migrations' technical list waits, folded, behind "Details".
    expect(await s.execute<boolean>("return document.querySelector('[data-testid=schema-details]').open")).toBe(false);
    expect(await s.execute<number>("return document.querySelectorAll('[data-testid=schema-changes] li').length")).toBeGreaterThan(5);
    await app.screenshot("wizard-2-schema");
    await (await s.find("[data-testid=wz-apply]")).click();
    await s.find("[data-testid=schema-plan][data-current=true]", 30_000);
    await app.screenshot("wizard-2-schema-applied");
    await (await s.find("[data-testid=wz-schema-next]")).click();
  });

  it("checks the legacy folder and shows rows per table", async () => {
    const s = app.session;
    await app.fill("wz-legacy-path", legacyDir);
    await (await s.find("[data-testid=wz-legacy-check]")).click();
    const counts = await s.waitForText("[data-testid=legacy-counts]", (t) => t.includes("memory_cards"), 20_000);
    expect(counts).toContain("5,0");
    await app.screenshot("wizard-3-legacy");
    await (await s.find("[data-testid=wz-preview]")).click();
  });

  it("previews the migration per table", async () => {
    const s = app.session;
    const table = await s.waitForText("[data-testid=preview-table]", (t) => t.includes("memory_cards"), 170_000);
    expect(table).toContain("document_chunks");
    await app.screenshot("wizard-4-preview");
    await (await s.find("[data-testid=wz-migrate]")).click();
  }, 180_000);

  it("migrates with a progress bar per table", async () => {
    const s = app.session;
    await s.find("[data-testid=wizard][data-step=migrate]");
    let sawRate = false;
    let shot = false;
    let cancelled = false;
    const deadline = Date.now() + 220_000;
    while (Date.now() < deadline) {
      const state = await s.execute<{ step: string | null; rate: boolean; done: number }>(
        `const w = document.querySelector('[data-testid=wizard]');
         const rows = [...document.querySelectorAll('[data-testid^=progress-]')];
         return { step: w && w.dataset.step, rate: rows.some(r => /rows\\/s/.test(r.textContent)), done: rows.filter(r => r.dataset.state === 'done').length };`,
      );
      if (state.step !== "migrate") break;
      if (state.rate) sawRate = true;
      if (!shot && state.rate && state.done >= 1) {
        await app.screenshot("wizard-5-migrate");
        shot = true;
      }
      if (shot && !cancelled) {
        // Cancel midway: the run stops safely and says so; Resume goes on.
        await (await s.find("[data-testid=wz-cancel]")).click();
        await s.waitForText("[data-testid=migrate-cancelled]", (t) => t.includes("Stopped safely"));
        await app.screenshot("wizard-5-migrate-cancelled");
        cancelled = true;
        await (await s.find("[data-testid=wz-resume-run]")).click();
      }
      await sleep(50);
    }
    expect(sawRate, "a table showed rows/s while migrating").toBe(true);
    expect(cancelled, "the run was cancelled midway and resumed").toBe(true);
    await s.find("[data-testid=wizard][data-step=report]", 60_000);
  }, 300_000);

  it("reports verification, every row changed on the way, rejects with reasons and conflicts", async () => {
    const s = app.session;
    await s.find("[data-testid=report-verified][data-ok=true]");
    // The hostile rows that were repaired are each named, whole, with what changed.
    const changed = await s.waitForText("[data-testid=report-changed]", (t) => t.includes("NUL characters removed"), 20_000);
    expect(changed).toContain("h-card-nul-json");
    expect(changed).toContain("h-card-bad-utf8");
    expect(changed).toContain("not valid UTF-8");
    expect(await (await s.find("[data-testid=report-verified]")).text()).toContain("imported with a change");
    const table = await s.waitForText("[data-testid=report-table]", (t) => t.includes("memory_cards"));
    expect(table).toContain("✓");
    await s.waitForText("[data-testid=report-rejects]", (t) => t.includes("noesis_sync.legacy_rejects"), 20_000);
    await app.screenshot("wizard-6-report");
    await s.execute("document.documentElement.setAttribute('data-theme', 'dark')");
    await app.screenshot("wizard-6-report-dark");
    await s.execute("document.documentElement.removeAttribute('data-theme')");
    await (await s.find("[data-testid=wz-finish]")).click();
  });

  it("lands in the main window, filled from the local cache", async () => {
    const s = app.session;
    await s.waitForText("[data-testid=card-count], .list-count", (t) => /\d/.test(t) && !t.startsWith("0 "), 20_000);
    expect((await s.findAll(".vrow")).length).toBeGreaterThan(5);
    await app.screenshot("wizard-7-done");
    expect(sql(dataDir, "SELECT value FROM sync_state WHERE key = 'wizard_dismissed'")).toBe("yes");
  });
});
