// Quitting in the middle of a migration and resuming after reopening, in the
// real app against the test PostgreSQL: start migrating a generated legacy
// store, kill the app (SIGKILL: a crash, a power cut, a force quit) once a
// table is committed and others are still going, reopen it on the same data
// folder, and check that the wizard opens again, offers Resume, continues
// after what was committed, and verifies every row.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunningApp, appPids, newDataDir, TESTDATA } from "./harness";
import { sleep } from "./webdriver";

const ADMIN = process.env.NOESIS_TEST_DATABASE_URL;
const PSQL = process.env.NOESIS_TEST_PG_BIN ? join(process.env.NOESIS_TEST_PG_BIN, "psql") : "psql";
const DATABASE = `noesis_e2e_resume_${process.pid}`;

function psql(url: string, statement: string): string {
  return execFileSync(PSQL, ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", statement], { encoding: "utf8" }).trim();
}

if (!ADMIN && process.env.NOESIS_TEST_REQUIRE_SERVER) {
  throw new Error("NOESIS_TEST_DATABASE_URL is not set but scripts/test.sh requires the resume end-to-end test to run");
}
describe.skipIf(!ADMIN)("quitting mid-migration and resuming after reopening", () => {
  const dataDir = newDataDir();
  const legacyDir = mkdtempSync(join(tmpdir(), "noesis-e2e-legacy-"));
  const server = new URL(ADMIN ?? "postgres://x@localhost/x");
  const db = (() => {
    const u = new URL(ADMIN ?? "postgres://x@localhost/x");
    u.pathname = `/${DATABASE}`;
    return u.toString();
  })();
  let app: RunningApp;
  let committedBeforeKill = 0;

  beforeAll(async () => {
    psql(ADMIN!, `DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    psql(ADMIN!, `CREATE DATABASE ${DATABASE}`);
    // As wizard.e2e.ts: 5,000 cards, 10,000 chunks… and one of every hostile row.
    execFileSync(TESTDATA, [legacyDir, "--hostile", "--scale", "0.05"], { encoding: "utf8" });
    app = await RunningApp.launch(dataDir);
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(legacyDir, { recursive: true, force: true });
    try {
      psql(ADMIN!, `DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    } catch {
      // A leftover test database is harmless.
    }
  });

  /** Test connection and Save on the server step; `password` empty uses the keychain. */
  async function connect(password: string) {
    const s = app.session;
    await app.fill("wz-password", password);
    await (await s.find("[data-testid=wz-test]")).click();
    await s.find("[data-testid=diagnosis][data-ok=true]", 20_000);
    await (await s.find("[data-testid=wz-save]")).click();
    await s.find("[data-testid=wizard][data-step=schema]", 20_000);
  }

  it("starts migrating, and the app is killed midway", async () => {
    const s = app.session;
    await s.find("[data-testid=wizard][data-step=server]");
    await app.fillServerForm(server, DATABASE);
    await connect(decodeURIComponent(server.password));
    await (await s.find("[data-testid=wz-apply]")).click();
    await s.find("[data-testid=schema-plan][data-current=true]", 30_000);
    await (await s.find("[data-testid=wz-schema-next]")).click();
    await app.fill("wz-legacy-path", legacyDir);
    await (await s.find("[data-testid=wz-legacy-check]")).click();
    await s.waitForText("[data-testid=legacy-counts]", (t) => t.includes("memory_cards"), 20_000);
    await (await s.find("[data-testid=wz-preview]")).click();
    await s.waitForText("[data-testid=preview-table]", (t) => t.includes("memory_cards"), 170_000);
    await (await s.find("[data-testid=wz-migrate]")).click();
    await s.find("[data-testid=wizard][data-step=migrate]");

    // Kill once one table is committed and another is still running.
    const deadline = Date.now() + 220_000;
    let killed = false;
    while (Date.now() < deadline && !killed) {
      const state = await s.execute<{ step: string | null; done: number; running: number }>(
        `const w = document.querySelector('[data-testid=wizard]');
         const rows = [...document.querySelectorAll('[data-testid^=progress-]')];
         return { step: w && w.dataset.step, done: rows.filter(r => r.dataset.state === 'done').length,
                  running: rows.filter(r => r.dataset.state === 'running').length };`,
      );
      expect(state.step, "the migration finished before it could be interrupted: make the store larger").toBe("migrate");
      if (state.done >= 1 && state.running >= 1) {
        await app.kill(dataDir);
        killed = true;
      } else {
        await sleep(50);
      }
    }
    expect(killed, "the migration reached a committed table while others ran").toBe(true);
    expect(appPids(dataDir), "the app is gone").toEqual([]);
  }, 420_000);

  it("left a run that did not finish and the batches it committed", () => {
    expect(psql(db, "SELECT string_agg(status, ',') FROM noesis_sync.legacy_runs")).toBe("running");
    committedBeforeKill = Number(psql(db, "SELECT coalesce(sum(last_rowid), 0) FROM noesis_sync.legacy_high_water"));
    expect(committedBeforeKill, "some batches were committed before the kill").toBeGreaterThan(0);
  });

  it("reopens on the wizard, which offers to resume the run", async () => {
    app = await RunningApp.launch(dataDir);
    const s = app.session;
    await s.find("[data-testid=wizard][data-step=server]", 20_000);
    expect(await (await s.find("[data-testid=wz-database]")).property("value"), "the saved server is filled in").toBe(DATABASE);
    // The password comes from the keychain: the field stays empty.
    await connect("");
    await s.find("[data-testid=schema-plan][data-current=true]", 30_000);
    await (await s.find("[data-testid=wz-schema-next]")).click();
    const notice = await s.waitForText("[data-testid=resume-notice]", (t) => t.includes("did not finish"), 20_000);
    expect(notice).toContain(legacyDir);
    await app.screenshot("wizard-3-legacy-resume");
    await (await s.find("[data-testid=wz-resume]")).click();
  });

  it("continues after the committed batches and verifies every row", async () => {
    const s = app.session;
    // A table committed before the kill is not read again.
    await s.waitForText("[data-testid=wizard][data-step=migrate]", (t) => t.includes("done (committed before)"), 60_000);
    await s.find("[data-testid=wizard][data-step=report]", 300_000);
    await s.find("[data-testid=report-verified][data-ok=true]");
    const rows = await s.execute<{ table: string; ok: boolean; unaccounted: string }[]>(
      `return [...document.querySelectorAll('[data-testid=report-table] tbody tr')].map(r => ({
         table: r.dataset.table, ok: !!r.querySelector('.wz-ok'), unaccounted: r.lastElementChild.textContent }));`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(5);
    for (const r of rows) {
      expect(r.ok, `${r.table} verified`).toBe(true);
      expect(r.unaccounted, `${r.table}: no row unaccounted for`).toBe("0");
    }
    await app.screenshot("wizard-6-report-resumed");
    const runs = psql(db, "SELECT string_agg(status || ':' || coalesce(verified::text, '-'), ',' ORDER BY started_at) FROM noesis_sync.legacy_runs");
    expect(runs, "the killed run is marked interrupted, the resumed one completed and verified").toBe("interrupted:-,completed:true");
  }, 320_000);
});
