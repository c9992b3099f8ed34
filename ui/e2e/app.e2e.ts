// The real app, end to end: what a user sees and does, checked in the DOM, and
// what lands in the cache, checked from outside the app with the CLI and sqlite3.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunningApp, cliStatus, newDataDir, sql } from "./harness";
import { seed } from "./seed";
import { sleep } from "./webdriver";

const ORIGINAL = "Buy oat milk for the espresso machine";
const EDITED = "Buy oat milk and coffee beans for the espresso machine";

describe("a new user with no server", () => {
  const dataDir = newDataDir();
  let app: RunningApp;

  beforeAll(async () => {
    app = await RunningApp.launch(dataDir);
    // A new device opens the first-run wizard; this user skips it.
    await (await app.session.find("[data-testid=wz-skip]")).click();
  });
  afterAll(async () => {
    await app?.close();
  });

  it("starts on an empty local cache, local only", async () => {
    const s = app.session;
    await s.waitForText("[data-state=empty] .state-title", (t) => t === "No memory cards yet");
    await s.waitForText("[data-testid=sync-indicator]", (t) => t.includes("Local only"));
    await app.screenshot("cards-empty");
  });

  it("creates a card, edits it and finds it by searching", async () => {
    const s = app.session;
    await (await s.find("[data-testid=new-card]")).click();
    await (await s.find("[data-testid=card-text]")).type(ORIGINAL);
    await app.screenshot("card-new");
    await (await s.find("[data-testid=card-save]")).click();
    await s.waitForText("[data-testid=card-detail-text]", (t) => t === ORIGINAL);
    await s.waitForText("[data-testid=card-count]", (t) => t === "1 card");

    await (await s.find("[data-testid=card-edit]")).click();
    const text = await s.find("[data-testid=card-text]");
    await text.clear();
    await text.type(EDITED);
    await app.screenshot("card-edit");
    await (await s.find("[data-testid=card-save]")).click();
    await s.waitForText("[data-testid=card-detail-text]", (t) => t === EDITED);
    await s.waitForText("[data-testid=card-row]", (t) => t.includes(EDITED));
    await s.waitForText("[data-testid=sync-summary]", (t) => t === "2 changes pending");

    await (await s.find("[data-testid=card-search]")).type("coffee bea");
    await s.waitForText("[data-testid=card-count]", (t) => t === "1 match");
    await s.waitForText("[data-testid=card-row]", (t) => t.includes(EDITED));
    await app.screenshot("card-search");

    const search = await s.find("[data-testid=card-search]");
    await search.clear();
    await search.type("zebra");
    await s.waitForText("[data-state=empty] .state-title", (t) => t === "No matching cards");
    await search.clear();
  });

  it("the edit is in the cache and waits in the outbox for sync", () => {
    expect(sql(dataDir, "SELECT text FROM memory_cards")).toBe(EDITED);
    const id = sql(dataDir, "SELECT id FROM memory_cards");
    expect(sql(dataDir, `SELECT group_concat(op, '') FROM (SELECT op FROM sync_outbox WHERE row_id = '${id}' ORDER BY op_id)`)).toBe("IU");
    const status = cliStatus(dataDir);
    expect(status.pending_changes).toBe(2);
  });

  it("approves the card", async () => {
    const s = app.session;
    await (await s.find("[data-testid=card-approve]")).click();
    await s.waitForText("[data-testid=card-approval]", (t) => t.toLowerCase() === "approved");
    expect(sql(dataDir, "SELECT approval FROM memory_cards")).toBe("approved");
    await app.screenshot("card-detail");
  });

  it("ignores a <base> injected into the page (CSP base-uri 'none')", async () => {
    const s = app.session;
    const before = await s.execute<string>("return document.baseURI");
    const after = await s.execute<string>(
      "const b = document.createElement('base'); b.href = 'https://attacker.invalid/'; document.head.appendChild(b); const u = document.baseURI; b.remove(); return u;",
    );
    expect(after).toBe(before);
    expect(after).not.toContain("attacker.invalid");
  });

  it("shows empty states in the other views", async () => {
    const s = app.session;
    for (const [view, title, shot] of [
      ["chats", "No chat sessions", "chats-empty"],
      ["mindfile", "The mind file is empty", "mindfile-empty"],
      ["documents", "No documents", "documents-empty"],
    ]) {
      await (await s.find(`[data-testid=nav-${view}]`)).click();
      await s.waitForText("[data-state=empty] .state-title", (t) => t === title);
      await app.screenshot(shot);
    }
  });

  it("shows real settings: no server, this data folder, a renamable device", async () => {
    const s = app.session;
    await (await s.find("[data-testid=nav-settings]")).click();
    await s.waitForText("[data-testid=server-url]", (t) => t === "Local only — no server configured");
    await s.waitForText("[data-testid=data-dir]", (t) => t === dataDir);
    const name = await s.find("[data-testid=device-name]");
    await name.clear();
    await name.type("Test laptop");
    await (await s.find("form.setting-row button[type=submit]")).click();
    await s.waitForText("[role=status]", (t) => t === "Saved");
    expect(cliStatus(dataDir).device.name).toBe("Test laptop");
    await app.screenshot("settings");
    await (await s.find("[data-testid=theme-dark]")).click();
    await app.screenshot("settings-dark");
    await (await s.find("[data-testid=theme-light]")).click();
  });
});

describe("a device with a large synced library", () => {
  const dataDir = newDataDir();
  let app: RunningApp;

  beforeAll(async () => {
    seed(dataDir);
    app = await RunningApp.launch(dataDir);
  });
  afterAll(async () => {
    await app?.close();
  });

  it("lists 100,000 cards and scrolls deep with a small DOM", async () => {
    const s = app.session;
    await s.waitForText("[data-testid=card-count]", (t) => t === "100,000 cards", 20_000);
    await s.waitForText("[data-testid=sync-indicator]", (t) => t.includes("Local only"));
    await (await s.findAll("[data-testid=card-row]"))[0].click();
    await s.find("[data-testid=card-detail]");
    await app.screenshot("cards");
    // Scroll to the end of what is loaded, several times: each time the next
    // keyset page arrives and the list grows, while the DOM stays one screenful.
    let loaded = 0;
    for (let i = 0; i < 5; i++) {
      loaded = await s.execute<number>(
        "const v = document.querySelector('.vlist'); v.scrollTop = v.scrollHeight; return v.scrollHeight;",
      );
      await sleep(300);
    }
    const rowHeight = 76;
    expect(loaded / rowHeight).toBeGreaterThan(600);
    const rows = await s.execute<number>("return document.querySelectorAll('.vrow').length");
    expect(rows).toBeLessThan(60);
  });

  it("filters by approval and category", async () => {
    const s = app.session;
    await s.execute("const v = document.querySelector('.vlist'); v.scrollTop = 0;");
    await s.execute(
      `const sel = document.querySelector('select[aria-label=Approval]'); sel.value = 'approved'; sel.dispatchEvent(new Event('change', {bubbles: true}));`,
    );
    await s.waitForText("[data-testid=card-count]", (t) => t === "20,000 cards");
    await s.execute(
      `const sel = document.querySelector('select[aria-label=Category]'); sel.value = 'preferences'; sel.dispatchEvent(new Event('change', {bubbles: true}));`,
    );
    await s.waitForText("[data-testid=card-count]", (t) => t === "5,000 cards");
    await app.screenshot("cards-filtered");
  });

  it("reads a chat session", async () => {
    const s = app.session;
    await (await s.find("[data-testid=nav-chats]")).click();
    await (await s.find("[data-testid=chat-row]")).click();
    await s.waitForText("[data-testid=chat-detail]", (t) => t.includes("night train via Hendaye"));
    await app.screenshot("chats");
  });

  it("shows the mind file with linked source cards", async () => {
    const s = app.session;
    await (await s.find("[data-testid=nav-mindfile]")).click();
    await s.waitForText("section[aria-label='Mind-file entries']", (t) => t.includes("Allergic to penicillin") && t.includes("From card"));
    await s.waitForText("[data-testid=mindfile-entry]:nth-of-type(1)", (t) => t.length > 0);
    await app.screenshot("mindfile");
  });

  it("shows a document with its chunks", async () => {
    const s = app.session;
    await (await s.find("[data-testid=nav-documents]")).click();
    await s.find("[data-testid=document-row]");
    const rows = await s.findAll("[data-testid=document-row]");
    expect(rows.length).toBe(3);
    await rows[2].click();
    await s.waitForText("[data-testid=document-detail]", (t) => t.includes("pg_snapshot_xmin"));
    await app.screenshot("documents");
  });

  it("looks right in dark mode", async () => {
    const s = app.session;
    await s.execute("document.documentElement.setAttribute('data-theme', 'dark')");
    await (await s.find("[data-testid=nav-cards]")).click();
    await s.waitForText("[data-testid=card-count]", (t) => t.endsWith("cards"));
    await (await s.findAll("[data-testid=card-row]"))[1].click();
    await app.screenshot("cards-dark");
    await (await s.find("[data-testid=nav-documents]")).click();
    await (await s.find("[data-testid=document-row]")).click();
    await app.screenshot("documents-dark");
  });
});
