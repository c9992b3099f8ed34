// "Choose folder…" in the real app: the wizard's legacy step opens the
// system's folder dialog (GTK, through tauri-plugin-dialog), so the command is
// registered, allowed to the window, and the plugin shows a real dialog.
// WebDriver cannot reach a native dialog: xdotool finds its X window by title
// under Xvfb. Choosing a folder in it is not tested here: with no window
// manager, no key sent by xdotool (typed path, Return, Alt+S, even Escape)
// reached the dialog. What happens to a chosen folder is tested with a
// stand-in dialog (tests/desktop_wizard.rs) and in Vitest (Wizard.test.tsx).
import { execFileSync, spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunningApp, newDataDir } from "./harness";
import { sleep } from "./webdriver";

const ADMIN = process.env.NOESIS_TEST_DATABASE_URL;
const PSQL = process.env.NOESIS_TEST_PG_BIN ? join(process.env.NOESIS_TEST_PG_BIN, "psql") : "psql";
const DATABASE = `noesis_e2e_dialog_${process.pid}`;
const TITLE = "Choose the old Noesis project folder";

function psql(statement: string): void {
  execFileSync(PSQL, ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", ADMIN!, "-c", statement], { encoding: "utf8" });
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
  let app: RunningApp;

  beforeAll(async () => {
    psql(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    psql(`CREATE DATABASE ${DATABASE}`);
    app = await RunningApp.launch(dataDir);
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
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
});
