// A saved server on a port nothing listens on, then the port fixed in
// Settings: the window says "refused" (not "no answer") as soon as the agent
// tries, Settings agrees with the indicator, and changing the server tests and
// saves it in place, walking the wizard's legacy step only when this device
// never migrated to that server (the central run record says whether it did).
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunningApp, sql } from "./harness";
import { HAVE_SERVER, TestDatabase, dataDirFor } from "./server";

/** A local port that refuses connections: bound once, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

if (!HAVE_SERVER && process.env.NOESIS_TEST_REQUIRE_SERVER) {
  throw new Error("NOESIS_TEST_DATABASE_URL is not set but scripts/test.sh requires the server end-to-end tests to run");
}
describe.skipIf(!HAVE_SERVER)("a server changed in Settings", () => {
  let db: TestDatabase;
  let dataDir: string;
  let app: RunningApp;
  let launchedAt: number;

  beforeAll(async () => {
    db = TestDatabase.create();
    const wrong = new URL(db.url);
    wrong.password = "";
    wrong.port = String(await closedPort());
    dataDir = dataDirFor(wrong.toString());
    launchedAt = Date.now();
    app = await RunningApp.launch(dataDir, { PGPASSWORD: db.password });
  });
  afterAll(async () => {
    await app?.close();
    db?.drop();
  });

  it("says at once that the port refuses connections, in the indicator and in Settings", async () => {
    const s = app.session;
    await s.waitForText("[data-testid=sync-label]", (t) => t === "Offline", 30_000);
    await (await s.find("[data-testid=sync-indicator]")).click();
    const reason = await s.waitForText("[data-testid=sync-reason]", (t) => t.includes("cannot reach"));
    console.log(`refused port: reported ${Date.now() - launchedAt} ms after launch (the window's start included)`);
    expect(reason).toContain("connection refused");
    expect(reason).not.toContain("no answer");
    await (await s.find("[data-testid=sync-indicator]")).click();
    await (await s.find("[data-testid=nav-settings]")).click();
    expect(await s.waitForText("[data-testid=settings-sync-status]", (t) => t.startsWith("Offline"))).toContain("Offline");
    expect(await (await s.find("[data-testid=settings-sync-reason]")).text()).toContain("connection refused");
    await app.screenshot("settings-offline-refused");
  });

  it("tests and saves the fixed port in place; a device that migrated there walks no wizard", async () => {
    const s = app.session;
    const device = sql(dataDir, "SELECT value FROM sync_state WHERE key = 'device_id'");
    db.psql(
      `INSERT INTO noesis_sync.legacy_runs (run_id, device_id, device_name, legacy_dir, status, finished_at)
       VALUES (gen_random_uuid(), '${device}', 'Laptop', '/Users/me/noesis', 'completed', now())`,
    );
    await (await s.find("[data-testid=change-server]")).click();
    await app.fill("wz-port", new URL(db.url).port);
    await (await s.find("[data-testid=wz-test]")).click();
    await s.find("[data-testid=diagnosis][data-ok=true]", 20_000);
    await app.screenshot("settings-change-server");
    await (await s.find("[data-testid=wz-save]")).click();
    expect(await s.waitForText("[data-testid=server-change-done]", (t) => t.includes("nothing more to do"), 20_000)).toContain("legacy data");
    expect(await s.findAll("[data-testid=wizard]")).toHaveLength(0);
    await s.waitForText("[data-testid=sync-label]", (t) => t === "Synced", 30_000);
    expect(await (await s.find("[data-testid=server-url]")).text()).toContain(`:${new URL(db.url).port}/`);
  });

  it("asks about legacy data, and only that, when this device never migrated to the server", async () => {
    const s = app.session;
    db.psql("DELETE FROM noesis_sync.legacy_runs");
    await (await s.find("[data-testid=change-server]")).click();
    await (await s.find("[data-testid=wz-test]")).click();
    await s.find("[data-testid=diagnosis][data-ok=true]", 20_000);
    await (await s.find("[data-testid=wz-save]")).click();
    await s.find("[data-testid=wizard][data-step=legacy]", 20_000);
    await app.screenshot("wizard-after-server-change");
  });
});
