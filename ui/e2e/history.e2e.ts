// History and trash, end to end: a card edited in the app, rewritten by the
// Noesis server (psql), deleted on another device (the CLI); the app finds it
// in the Trash, restores it, lists every version in its History panel and
// puts the first one back; the server and the other device converge on it.
// Offline, the panel shows what the app read and says so.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunningApp, eventually } from "./harness";
import { CliDevice, HAVE_SERVER, Proxy, TestDatabase, dataDirFor } from "./server";

const FIRST = "The allotment gate code is 4512";
const APP_EDIT = "The allotment gate code is 4512; the shed key is under the pot";
const SERVER_EDIT = "Allotment: gate code 4512, shed key under the blue pot";

if (!HAVE_SERVER && process.env.NOESIS_TEST_REQUIRE_SERVER) {
  throw new Error("NOESIS_TEST_DATABASE_URL is not set but scripts/test.sh requires the history end-to-end tests to run");
}
describe.skipIf(!HAVE_SERVER)("history and trash in the app", () => {
  let db: TestDatabase;
  let proxy: Proxy;
  let app: RunningApp;
  let laptop: CliDevice;
  const serverText = () => db.psql("SELECT text FROM memory_cards WHERE id = 'allotment'");

  beforeAll(async () => {
    db = TestDatabase.create();
    db.psql(
      `INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
       VALUES ('allotment', '2025-03-01T00:00:00Z', 'preferences', 'global', '${FIRST}', 'pending', '{"reason": "from a chat about the garden"}')`,
    );
    proxy = await Proxy.start(db.url);
    laptop = new CliDevice(db.url);
    app = await RunningApp.launch(dataDirFor(db.urlVia(proxy)), { PGPASSWORD: db.password });
  });
  afterAll(async () => {
    await app?.close();
    await proxy?.close();
    db?.drop();
  });

  async function openCard() {
    const s = app.session;
    await (await s.find("[data-testid=nav-cards]")).click();
    await s.waitForText("[data-testid=card-row]", (t) => t.includes("allotment") || t.includes("Allotment"), 20_000);
    await (await s.find("[data-testid=card-row]")).click();
  }

  it("lists a card deleted on another device in the Trash, with who deleted it, and restores it", async () => {
    const s = app.session;
    await s.waitForText("[data-testid=sync-label]", (t) => t === "Synced", 20_000);
    await openCard();
    await (await s.find("[data-testid=card-edit]")).click();
    const box = await s.find("[data-testid=card-text]");
    await box.clear();
    await box.type(APP_EDIT);
    await (await s.find("[data-testid=card-save]")).click();
    await eventually("the app's edit reached the server", () => serverText() === APP_EDIT);
    db.psql(`UPDATE memory_cards SET text = '${SERVER_EDIT}' WHERE id = 'allotment'`);
    laptop.sync();
    laptop.sql("DELETE FROM memory_cards WHERE id = 'allotment'");
    laptop.sync();
    await eventually("the deletion reached the server", () => serverText() === "");

    await (await s.find("[data-testid=nav-trash]")).click();
    await s.waitForText("[data-testid=trash]", (t) => t.includes(SERVER_EDIT), 20_000);
    const row = await s.waitForText("[data-testid=trash-item]", (t) => t.includes(SERVER_EDIT));
    expect(row).not.toContain("Noesis server / another program"); // the laptop deleted it, not the server
    await s.waitForText("[data-testid=trash-nav-count]", (t) => t === "1");
    await app.screenshot("trash");
    await (await s.find("[data-testid=trash-restore]")).click();
    await s.waitForText("[data-testid=trash-message]", (t) => t.includes("Restored"));
    await eventually("the restored card is on the server", () => serverText() === SERVER_EDIT);
    await s.waitForText("[data-testid=trash]", (t) => t.includes("The trash is empty"), 20_000);
  });

  it("shows every version with who and what changed, and puts the first one back everywhere", async () => {
    const s = app.session;
    await openCard();
    await (await s.find("[data-testid=history-open]")).click();
    const panel = await s.waitForText("[data-testid=history-panel]", (t) => t.includes("Deleted"), 20_000);
    // Newest first: the deletion (as the server had it), the server's rewrite, the app's edit.
    expect(panel.indexOf(SERVER_EDIT)).toBeLessThan(panel.indexOf(APP_EDIT));
    expect(panel.indexOf(APP_EDIT)).toBeLessThan(panel.lastIndexOf(FIRST));
    expect(panel).toContain("Noesis server / another program");
    await app.screenshot("history-panel");
    const versions = await s.findAll("[data-testid=history-version]");
    expect(versions.length).toBe(3);
    const restore = await s.findAll("[data-testid=history-restore]");
    await restore[restore.length - 1].click();
    await s.waitForText("[data-testid=history-message]", (t) => t.includes("restored"));
    await eventually("the first version is on the server", () => serverText() === FIRST);
    laptop.sync();
    expect(laptop.sql("SELECT text FROM memory_cards WHERE id = 'allotment'")).toBe(FIRST);
    await s.waitForText("[data-testid=card-detail-text]", (t) => t === FIRST, 20_000);
  });

  it("offline, shows the versions it read and says newer ones need the server", async () => {
    const s = app.session;
    proxy.cut();
    await (await s.find("[data-testid=history-close]")).click();
    await (await s.find("[data-testid=history-open]")).click();
    await s.waitForText("[data-testid=history-offline]", (t) => t.includes("need the server"), 30_000);
    await app.screenshot("history-offline");
    proxy.restore();
  });
});
