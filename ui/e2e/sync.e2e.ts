// Sync, end to end: the real app syncing with a real PostgreSQL through a
// proxy the test can cut, a second device (the CLI on another data folder) and
// psql as "another program". What the user sees is checked in the window; what
// arrived is checked on the server and on the other device.
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunningApp, eventually, sql } from "./harness";
import { CliDevice, HAVE_SERVER, Proxy, TestDatabase, dataDirFor } from "./server";
import { sleep } from "./webdriver";

const SEEDED = "The boiler service is due in March";
const FROM_APP = "The boiler service is due in March; call Tom";
const OFFLINE_EDIT = "The boiler service is due in April; call Tom";
const MINE = "Boiler: April, Tom has the key";
const THEIRS = "Boiler: April, ring the landlord first";
const MERGED = "Boiler: April, ring the landlord first; Tom has the key";

if (!HAVE_SERVER && process.env.NOESIS_TEST_REQUIRE_SERVER) {
  throw new Error("NOESIS_TEST_DATABASE_URL is not set but scripts/test.sh requires the sync end-to-end tests to run");
}
describe.skipIf(!HAVE_SERVER)("an app syncing with a server", () => {
  let db: TestDatabase;
  let proxy: Proxy;
  let dataDir: string;
  let app: RunningApp;
  let laptop: CliDevice;

  beforeAll(async () => {
    db = TestDatabase.create();
    db.psql(
      `INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
       VALUES ('boiler', '2025-01-01T00:00:00Z', 'preferences', 'global', '${SEEDED}', 'pending', '{"reason": "written by a test"}')`,
    );
    proxy = await Proxy.start(db.url);
    dataDir = dataDirFor(db.urlVia(proxy));
    laptop = new CliDevice(db.url);
    app = await RunningApp.launch(dataDir, { PGPASSWORD: db.password });
  });
  afterAll(async () => {
    await app?.close();
    await proxy?.close();
    db?.drop();
  });

  async function openCard() {
    const s = app.session;
    await (await s.find("[data-testid=nav-cards]")).click();
    await s.waitForText("[data-testid=card-row]", (t) => t.includes("Boiler") || t.includes("boiler"), 20_000);
    await (await s.find("[data-testid=card-row]")).click();
  }

  async function editCard(text: string) {
    const s = app.session;
    await openCard();
    await (await s.find("[data-testid=card-edit]")).click();
    const box = await s.find("[data-testid=card-text]");
    await box.clear();
    await box.type(text);
    await (await s.find("[data-testid=card-save]")).click();
    await s.waitForText("[data-testid=card-detail-text]", (t) => t === text);
  }

  it("pulls the server's cards and says it is synced", async () => {
    const s = app.session;
    await s.waitForText("[data-testid=card-row]", (t) => t.includes(SEEDED), 20_000);
    await s.waitForText("[data-testid=sync-label]", (t) => t === "Synced", 20_000);
  });

  it("shows cards added and edited elsewhere in the open list, without navigating", async () => {
    const s = app.session;
    const list = 'section[aria-label="Memory cards"]';
    // Dated before the boiler card, so the list still opens on the boiler for the tests below.
    db.psql(
      `INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
       VALUES ('studio', '2024-01-02T00:00:00Z', 'preferences', 'global', 'Added on the Mac Studio', 'pending', '{"reason": "written by a test"}')`,
    );
    await s.waitForText(list, (t) => t.includes("Added on the Mac Studio"), 20_000);
    db.psql("UPDATE memory_cards SET text = 'Edited in psql on the server' WHERE id = 'studio'");
    await s.waitForText(list, (t) => t.includes("Edited in psql on the server") && !t.includes("Added on the Mac Studio"), 20_000);
    // Another program writes straight into this device's cache.
    sql(
      dataDir,
      `INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
       VALUES ('shell', '2024-01-01T00:00:00Z', 'preferences', 'global', 'Written with the sqlite3 shell', 'pending', '{"reason": "written by a test"}')`,
    );
    await s.waitForText(list, (t) => t.includes("Written with the sqlite3 shell"), 20_000);
    await s.waitForText("[data-testid=card-count]", (t) => t === "3 cards");
    // Pushed before the tests below count pending changes.
    await eventually("the sqlite3 card reached the server", () => db.psql("SELECT count(*) FROM memory_cards WHERE id = 'shell'") === "1");
  });

  it("sends an edit made in the app to a second device", async () => {
    const s = app.session;
    await editCard(FROM_APP);
    await s.waitForText("[data-testid=sync-summary]", (t) => t.startsWith("Last sync"), 20_000);
    await eventually("the edit is on the server", () => db.psql("SELECT text FROM memory_cards WHERE id = 'boiler'") === FROM_APP);
    laptop.sync();
    expect(laptop.sql("SELECT text FROM memory_cards WHERE id = 'boiler'")).toBe(FROM_APP);
  });

  it("goes offline when the server goes away, keeps edits pending, and catches up on Sync now", async () => {
    const s = app.session;
    proxy.cut();
    await s.waitForText("[data-testid=sync-label]", (t) => t === "Offline", 30_000);
    await editCard(OFFLINE_EDIT);
    await s.waitForText("[data-testid=sync-summary]", (t) => t === "1 change pending");
    await (await s.find("[data-testid=sync-indicator]")).click();
    await s.waitForText("[data-testid=sync-reason]", (t) => t.includes("cannot reach PostgreSQL"));
    await app.screenshot("sync-offline");
    expect(db.psql("SELECT text FROM memory_cards WHERE id = 'boiler'")).toBe(FROM_APP);

    proxy.restore();
    await (await s.find("[data-testid=sync-now]")).click();
    await s.waitForText("[data-testid=sync-label]", (t) => t === "Synced", 30_000);
    await s.waitForText("[data-testid=sync-pending]", (t) => t === "0");
    await app.screenshot("sync-details");
    await eventually("the offline edit reached the server", () => db.psql("SELECT text FROM memory_cards WHERE id = 'boiler'") === OFFLINE_EDIT);
    await (await s.find("[data-testid=sync-indicator]")).click(); // close the details
  });

  it("pauses, keeps the pause in the data folder, and resumes", async () => {
    const s = app.session;
    await (await s.find("[data-testid=sync-indicator]")).click();
    await (await s.find("[data-testid=sync-pause]")).click();
    await s.waitForText("[data-testid=sync-label]", (t) => t === "Sync paused");
    expect(sql(dataDir, "SELECT value FROM sync_state WHERE key = 'sync_paused'")).toBe("true");
    await app.screenshot("sync-paused");
    await (await s.find("[data-testid=sync-pause]")).click();
    await s.waitForText("[data-testid=sync-label]", (t) => t === "Synced", 20_000);
    expect(sql(dataDir, "SELECT value FROM sync_state WHERE key = 'sync_paused'")).toBe("false");
    await (await s.find("[data-testid=sync-indicator]")).click();
  });

  it("says a change held back is not accepted, and lists why", async () => {
    const s = app.session;
    await s.waitForText("[data-testid=sync-label]", (t) => t === "Synced", 20_000);
    // Another program writes a date PostgreSQL would misread as the day before the push.
    sql(
      dataDir,
      `INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
       VALUES ('when', 'yesterday', 'preferences', 'global', 'Dentist appointment moved', 'pending', '{"reason": "written by a test"}')`,
    );
    await s.waitForText("[data-testid=sync-summary]", (t) => t === "1 change not accepted", 20_000);
    expect(await (await s.find("[data-testid=not-accepted-badge]")).text()).toBe("1");
    expect(await (await s.find("[data-testid=sync-label]")).text()).toBe("Synced");
    await (await s.find("[data-testid=sync-indicator]")).click();
    await s.waitForText("[data-testid=sync-not-accepted]", (t) => t === "1");
    await s.waitForText("[data-testid=not-accepted-item]", (t) => t.includes("Memory card") && t.includes("when"));
    const reason = await (await s.find("[data-testid=not-accepted-reason]")).text();
    expect(reason).toContain("created_at");
    expect(reason).toContain('"yesterday"');
    expect(db.psql("SELECT count(*) FROM memory_cards WHERE id = 'when'")).toBe("0");
    await app.screenshot("sync-not-accepted");
    await s.execute("document.documentElement.setAttribute('data-theme', 'dark')");
    await app.screenshot("sync-not-accepted-dark");
    await s.execute("document.documentElement.removeAttribute('data-theme')");
    // Fixed by another program, the row goes and the count clears. (Dated
    // before the boiler card, so the card list still opens on the boiler.)
    sql(dataDir, "UPDATE memory_cards SET created_at = '2024-03-04T05:06:07Z' WHERE id = 'when'");
    await s.waitForText("[data-testid=sync-not-accepted]", (t) => t === "0", 20_000);
    await eventually("the fixed row reached the server", () => db.psql("SELECT count(*) FROM memory_cards WHERE id = 'when'") === "1");
    await (await s.find("[data-testid=sync-indicator]")).click();
  });

  it("holds a deletion that would empty most of the cards, and puts them back when asked", async () => {
    const s = app.session;
    await s.waitForText("[data-testid=sync-label]", (t) => t === "Synced", 20_000);
    // Dated before the boiler card, so the card list still opens on the boiler.
    db.psql(
      `INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
       SELECT 'trip-' || i, '2023-01-01T00:00:00Z', 'preferences', 'global', 'Packing list item ' || i, 'pending', '{"reason": "written by a test"}'
       FROM generate_series(1, 60) i`,
    );
    await eventually("the 60 cards reached the app", () => sql(dataDir, "SELECT count(*) FROM memory_cards WHERE id LIKE 'trip-%'") === "60");
    // Someone empties them on the server: more than half of this device's cards.
    db.psql("DELETE FROM memory_cards WHERE id LIKE 'trip-%'");
    await s.waitForText("[data-testid=sync-summary]", (t) => t === "60 deletions held", 20_000);
    expect(await (await s.find("[data-testid=held-badge]")).text()).toBe("60");
    expect(sql(dataDir, "SELECT count(*) FROM memory_cards WHERE id LIKE 'trip-%'")).toBe("60");
    await (await s.find("[data-testid=sync-indicator]")).click();
    await s.waitForText(
      "[data-testid=held-deletion-item]",
      (t) => t.includes("Memory card") && t.includes("60 rows deleted on the server, still here") && t.includes("trip-1"),
    );
    await app.screenshot("sync-held-deletions");
    await (await s.find("[data-testid=held-keep]")).click();
    await eventually("the kept cards are back on the server", () => db.psql("SELECT count(*) FROM memory_cards WHERE id LIKE 'trip-%'") === "60", 30_000);
    await s.waitForText("[data-testid=sync-summary]", (t) => !t.includes("held"), 20_000);
    await (await s.find("[data-testid=sync-indicator]")).click();
  });

  it("records a real conflict and resolves it with a merged version in the conflict centre", async () => {
    const s = app.session;
    proxy.cut();
    await s.waitForText("[data-testid=sync-label]", (t) => t === "Offline", 30_000);
    await editCard(MINE);
    await sleep(50);
    // Later, and elsewhere: another program edits the same field on the server.
    db.psql(`UPDATE memory_cards SET text = '${THEIRS}' WHERE id = 'boiler'`);
    proxy.restore();
    await (await s.find("[data-testid=sync-indicator]")).click();
    await (await s.find("[data-testid=sync-now]")).click();
    await s.waitForText("[data-testid=sync-conflicts]", (t) => t === "1", 30_000);
    await (await s.find("[data-testid=open-conflicts]")).click();

    const row = await s.find("[data-testid=field-text]", 20_000);
    expect(await (await s.find("[data-testid=field-text] [data-testid=mine]")).text()).toBe(MINE);
    expect(await (await s.find("[data-testid=field-text] [data-testid=theirs]")).text()).toBe(THEIRS);
    expect(row).toBeTruthy();
    await app.screenshot("conflict-centre");

    await (await s.find("[data-testid=edit-merged]")).click();
    const merged = await s.find("[data-testid=merged-text]");
    await merged.clear();
    await merged.type(MERGED);
    await app.screenshot("conflict-merge");
    await (await s.find("[data-testid=save-merged]")).click();
    await s.waitForText("[data-testid=conflict-message]", (t) => t.startsWith("Merged version saved"));
    await s.waitForText("[data-state=empty] .state-title", (t) => t === "No conflicts");
    await eventually("the merged version is on the server", () => db.psql("SELECT text FROM memory_cards WHERE id = 'boiler'") === MERGED);
    expect(db.psql("SELECT resolution FROM noesis_sync.conflicts")).toBe("merged");
    await s.waitForText("[data-testid=sync-label]", (t) => t === "Synced", 20_000);
    laptop.sync();
    expect(laptop.sql("SELECT text FROM memory_cards WHERE id = 'boiler'")).toBe(MERGED);
  });

  it("shows related items from the server's embeddings, and why not when offline", async () => {
    const s = app.session;
    const vector = (x: number, y: number) => `array_cat(ARRAY[${x}, ${y}]::real[], array_fill(0::real, ARRAY[766]))::vector`;
    db.psql(
      `INSERT INTO embeddings (doc_id, embedding, text, metadata, source_type) VALUES
         ('boiler', ${vector(1, 0)}, '${MERGED}', '{}', 'memory_card'),
         ('spare-key', ${vector(0.9, 0.1)}, 'Tom keeps the spare key to the flat', '{}', 'memory_card'),
         ('manual-3', ${vector(0.6, 0.4)}, 'Boiler manual: have it serviced every twelve months', '{"document_id": "manual"}', 'document_chunk'),
         ('far', ${vector(0, 1)}, 'Allergic to penicillin', '{}', 'memory_card')`,
    );
    await openCard();
    await s.waitForText("[data-testid=related]", (t) => t.includes("spare key"), 20_000);
    const order = await s.execute<string[]>(
      "return [...document.querySelectorAll('[data-testid=related-item]')].map(e => e.dataset.docId)",
    );
    expect(order).toEqual(["spare-key", "manual-3", "far"]);
    await app.screenshot("related");

    // The same for a passage of a document, asked for from the document's chunks.
    db.psql(
      `INSERT INTO documents (id, created_at, filename, filepath, file_type, file_size, file_hash, status, chunk_count, tags)
         VALUES ('manual', now(), 'boiler-manual.pdf', '/docs/boiler-manual.pdf', 'pdf', 2048, 'h', 'indexed', 1, '{}');
       INSERT INTO document_chunks (id, document_id, chunk_index, text)
         VALUES ('manual-3', 'manual', 0, 'Boiler manual: have it serviced every twelve months')`,
    );
    await eventually("the document reached the app", () => sql(dataDir, "SELECT count(*) FROM document_chunks WHERE id = 'manual-3'") === "1");
    await (await s.find("[data-testid=nav-documents]")).click();
    await s.waitForText("[data-testid=document-row]", (t) => t.includes("boiler-manual.pdf"), 20_000);
    await (await s.find("[data-testid=document-row]")).click();
    await (await s.find("[data-testid=chunk-related-toggle]")).click();
    await s.waitForText("[data-testid=chunk] [data-testid=related]", (t) => t.includes("spare key"), 20_000);
    const chunkOrder = await s.execute<string[]>(
      "return [...document.querySelectorAll('[data-testid=chunk] [data-testid=related-item]')].map(e => e.dataset.docId)",
    );
    expect(chunkOrder).toEqual(["boiler", "spare-key", "far"]);
    await app.screenshot("related-chunk");

    proxy.cut();
    await s.waitForText("[data-testid=sync-label]", (t) => t === "Offline", 30_000);
    await (await s.find("[data-testid=nav-chats]")).click();
    await openCard();
    await s.waitForText("[data-testid=related-reason]", (t) => t.startsWith("Offline"));
    expect(await s.execute<number>("return document.querySelectorAll('[data-testid=related-item]').length")).toBe(0);
    await app.screenshot("related-offline");
    proxy.restore();
    await (await s.find("[data-testid=sync-indicator]")).click();
    await (await s.find("[data-testid=sync-now]")).click();
    await s.waitForText("[data-testid=sync-label]", (t) => t === "Synced", 30_000);
    await (await s.find("[data-testid=sync-indicator]")).click();
  });

  it("shows the device's sync settings", async () => {
    const s = app.session;
    await (await s.find("[data-testid=nav-settings]")).click();
    await s.waitForText("[data-testid=logs-dir]", (t) => t === `${dataDir}/logs`);
    await app.screenshot("settings-sync");
    expect(sql(dataDir, "SELECT 1")).toBe("1");
    const logs = execFileSync("ls", [`${dataDir}/logs`], { encoding: "utf8" });
    expect(logs).toMatch(/^noesis-\d{4}-\d{2}-\d{2}\.log/);
  });

  it("starts paused after a restart when sync was paused", async () => {
    let s = app.session;
    await (await s.find("[data-testid=sync-indicator]")).click();
    await (await s.find("[data-testid=sync-pause]")).click();
    await s.waitForText("[data-testid=sync-label]", (t) => t === "Sync paused");
    await app.close();
    app = await RunningApp.launch(dataDir, { PGPASSWORD: db.password });
    s = app.session;
    await s.waitForText("[data-testid=sync-label]", (t) => t === "Sync paused", 20_000);
    await editCard(MERGED + ".");
    await s.waitForText("[data-testid=sync-summary]", (t) => t === "1 change pending");
    await sleep(2000);
    expect(db.psql("SELECT text FROM memory_cards WHERE id = 'boiler'")).toBe(MERGED);
    await (await s.find("[data-testid=sync-indicator]")).click();
    await (await s.find("[data-testid=sync-pause]")).click();
    await s.waitForText("[data-testid=sync-label]", (t) => t === "Synced", 20_000);
    await eventually("the edit made while paused reached the server", () => db.psql("SELECT text FROM memory_cards WHERE id = 'boiler'") === MERGED + ".");
    await (await s.find("[data-testid=sync-indicator]")).click();
  });

  it("looks right in dark mode", async () => {
    const s = app.session;
    await s.execute("document.documentElement.setAttribute('data-theme', 'dark')");
    await (await s.find("[data-testid=nav-settings]")).click();
    await s.find("[data-testid=logs-dir]");
    await app.screenshot("settings-sync-dark");
    await openCard();
    await s.waitForText("[data-testid=related]", (t) => t.includes("spare key"), 20_000);
    await app.screenshot("related-dark");
    await (await s.find("[data-testid=sync-indicator]")).click();
    await app.screenshot("sync-details-dark");
    await (await s.find("[data-testid=sync-indicator]")).click();
    await s.execute("document.documentElement.removeAttribute('data-theme')");
  });
});
