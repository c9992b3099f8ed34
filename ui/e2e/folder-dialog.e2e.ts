// "Choose folder…" in the real app: the wizard's legacy step opens the
// system's folder dialog (GTK, through tauri-plugin-dialog), so the command is
// registered, allowed to the window, and the plugin shows a real dialog; a
// folder chosen in it by typing its path lands in the wizard, which counts its
// rows. WebDriver cannot reach a native dialog: xdotool finds its X window by
// title under Xvfb and types into it. With no window manager nothing gives the
// dialog the keyboard, so keys went nowhere until the test focuses it itself
// (`xdotool windowfocus`, XSetInputFocus, which needs no window manager).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunningApp, eventually, newDataDir, TESTDATA } from "./harness";
import { sleep } from "./webdriver";

const ADMIN = process.env.NOESIS_TEST_DATABASE_URL;
const PSQL = process.env.NOESIS_TEST_PG_BIN ? join(process.env.NOESIS_TEST_PG_BIN, "psql") : "psql";
const DATABASE = `noesis_e2e_dialog_${process.pid}`;
const TITLE = "Choose the old Noesis project folder";

function psql(statement: string): void {
  execFileSync(PSQL, ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", ADMIN!, "-c", statement], { encoding: "utf8" });
}

/** Runs xdotool (keys go through XTEST to the window that has the focus). */
function xdotool(...args: string[]): void {
  execFileSync("xdotool", args);
}

/** The X windows titled like the dialog. */
function dialogWindows(): string[] {
  const out = spawnSync("xdotool", ["search", "--onlyvisible", "--name", TITLE], { encoding: "utf8" });
  return out.stdout.split("\n").filter(Boolean);
}

if (!ADMIN && process.env.NOESIS_TEST_REQUIRE_SERVER) {
  throw new Error("NOESIS_TEST_DATABASE_URL is not set but scripts/test.sh requires the folder dialog end-to-end test to run");
}
describe.skipIf(!ADMIN)("the legacy step's native folder dialog", () => {
  const dataDir = newDataDir();
  const server = new URL(ADMIN ?? "postgres://x@localhost/x");
  // The old project folder, beside a sibling whose name starts with its name:
  // GTK's location bar completes a typed name inline when one entry extends
  // it, and Return would take the completion; with two, nothing is added.
  const parent = mkdtempSync(join(tmpdir(), "noesis-e2e-pick-"));
  const legacyDir = join(parent, "genai-agent-core");
  let app: RunningApp;

  beforeAll(async () => {
    psql(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    psql(`CREATE DATABASE ${DATABASE}`);
    execFileSync(TESTDATA, [legacyDir, "--scale", "0.001"], { encoding: "utf8" });
    mkdirSync(join(parent, "genai-agent-core-backup"));
    app = await RunningApp.launch(dataDir);
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(parent, { recursive: true, force: true });
    try {
      psql(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    } catch {
      // A leftover test database is harmless.
    }
  });


  it("reaches the legacy step", async () => {
    const s = app.session;
    await app.fillServerForm(server, DATABASE);
    await app.fill("wz-password", decodeURIComponent(server.password));
    await (await s.find("[data-testid=wz-test]")).click();
    await s.find("[data-testid=diagnosis][data-ok=true]", 20_000);
    await (await s.find("[data-testid=wz-save]")).click();
    await (await s.find("[data-testid=wz-apply]", 20_000)).click();
    await s.find("[data-testid=schema-plan][data-current=true]", 30_000);
    await (await s.find("[data-testid=wz-schema-next]")).click();
    await s.find("[data-testid=wz-legacy-choose]", 20_000);
  });

  it("'Choose folder…' opens the system's folder dialog", async () => {
    expect(dialogWindows(), "no dialog before the click").toEqual([]);
    await (await app.session.find("[data-testid=wz-legacy-choose]")).click();
    for (let i = 0; i < 100 && dialogWindows().length === 0; i++) await sleep(100);
    expect(dialogWindows().length, `a window titled "${TITLE}" is shown`).toBeGreaterThan(0);
  });

  it("a folder chosen in it by typing its path is checked and its rows shown", async () => {
    const s = app.session;
    const [dialog] = dialogWindows();
    xdotool("windowfocus", "--sync", dialog);
    // Ctrl+L opens the location bar, as a user who knows the path does.
    xdotool("key", "ctrl+l");
    xdotool("type", "--delay", "10", legacyDir);
    xdotool("key", "Return");
    await eventually("the dialog closes", () => dialogWindows().length === 0);
    await s.waitForText("[data-testid=legacy-counts]", (t) => t.includes("memory_cards"), 20_000);
    expect(await (await s.find("[data-testid=wz-legacy-path]")).property("value"), "the chosen folder is in the path field").toBe(legacyDir);
    const rows = await s.execute<string[][]>(
      "return [...document.querySelectorAll('[data-testid=legacy-counts] tbody tr')].map(tr => [...tr.cells].map(c => c.textContent.trim()))",
    );
    const count = (store: string, table: string) =>
      Number(execFileSync("sqlite3", [join(legacyDir, "data", store), `SELECT count(*) FROM ${table}`], { encoding: "utf8" }));
    const shown = Object.fromEntries(rows.map(([table, n]) => [table, Number(n.replace(/,/g, ""))]));
    expect(shown.memory_cards, "the folder's memory cards are counted").toBe(count("memory/memory_cards.sqlite3", "memory_cards"));
    expect(shown.document_chunks, "its document chunks too").toBe(count("documents/documents.sqlite3", "document_chunks"));
    await app.screenshot("wizard-3-legacy-chosen");
  });
});
