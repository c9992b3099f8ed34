// The tray and the window's close button in the real app, on a desktop that
// shows tray icons: the app gets a session bus of its own with a StatusNotifier
// host on it (ui/e2e/desktop.ts), so Tauri's tray (libayatana-appindicator)
// registers its icon and exports its menu over D-Bus, and the test clicks the
// menu entries as the desktop does for a user. The window is closed as a click
// on its title bar's X closes it: the window manager's WM_DELETE_WINDOW
// message, which WebDriver's "close window" does not send. What happens is
// checked where a user would notice it: the X window shown or hidden, the
// process running or gone, the server's changes in the app's cache.
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LaunchedApp, RunningApp, appPids, cliStatus, eventually, newDataDir, sql } from "./harness";
import { TrayHost, closeFromTitleBar, mainWindow } from "./desktop";
import type { TrayItem } from "./desktop";
import { HAVE_SERVER, TestDatabase, dataDirFor } from "./server";

const SEEDED = "The boiler service is due in March";
const WHILE_CLOSED = "The boiler service is due in April";
const UNANNOUNCED = "The boiler service is due in May";

if (!HAVE_SERVER && process.env.NOESIS_TEST_REQUIRE_SERVER) {
  throw new Error("NOESIS_TEST_DATABASE_URL is not set but scripts/test.sh requires the tray end-to-end tests to run");
}
describe.skipIf(!HAVE_SERVER)("an app started at login, syncing from the tray", () => {
  let db: TestDatabase;
  let host: TrayHost;
  let dataDir: string;
  let app: LaunchedApp;
  let second: LaunchedApp | undefined;
  let item: TrayItem;
  const cardText = () => sql(dataDir, "SELECT text FROM memory_cards WHERE id = 'boiler'");
  /** Whether the main window shows; fails at once if the app has ended or
   *  its window was destroyed rather than hidden. */
  const shown = () => {
    expect(app.running, "the app is still running").toBe(true);
    const window = mainWindow(app.pid);
    expect(window, "the app still has its main window").toBeDefined();
    return window!.mapped;
  };

  beforeAll(async () => {
    db = TestDatabase.create();
    db.psql(
      `INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
       VALUES ('boiler', '2025-01-01T00:00:00Z', 'preferences', 'global', '${SEEDED}', 'pending', '{"reason": "written by a test"}')`,
    );
    host = await TrayHost.start();
    dataDir = dataDirFor(db.urlWithoutPassword);
    // As the login starts it (the autostart entry's Exec line, see login.e2e.ts).
    app = LaunchedApp.start(dataDir, { PGPASSWORD: db.password, ...host.env }, ["--hidden"]);
  });
  afterAll(async () => {
    await second?.stop();
    await app?.stop();
    await host?.stop();
    db?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("shows its tray icon, syncs, and keeps its window hidden", async () => {
    item = await host.item();
    await eventually("the server's card reached the cache", () => cardText() === SEEDED);
    const window = mainWindow(app.pid);
    expect(window, "the app has its main window").toBeDefined();
    expect(window!.mapped, "started at login, the app shows no window until the user opens it").toBe(false);
  });

  it("its menu says the sync state and offers Sync now, Pause sync, Open Noesis and Quit Noesis", async () => {
    await eventually("the tray's first line says sync is up to date", () => host.menu(item)[0].label === "Sync: up to date");
    const entries = host.menu(item);
    expect(entries.map((e) => e.label)).toEqual(["Sync: up to date", "Sync now", "Pause sync", "Open Noesis", "Quit Noesis"]);
    expect(entries[0].enabled, "the status line is information, not a button").toBe(false);
  });

  it("Open Noesis shows the window", async () => {
    host.click(item, "Open Noesis");
    await eventually("the window shows", shown);
  });

  it("closing the window from its title bar hides it, and sync goes on", async () => {
    closeFromTitleBar(app.pid);
    await eventually("the window is hidden", () => !shown());
    db.psql(`UPDATE memory_cards SET text = '${WHILE_CLOSED}' WHERE id = 'boiler'`);
    await eventually("the server's edit reached the closed app's cache", () => cardText() === WHILE_CLOSED);
    expect(app.running, "the app still runs in the tray").toBe(true);
  });

  it("a second launch on the same data folder shows the running window and exits", async () => {
    expect(shown(), "the window is hidden before the second launch").toBe(false);
    second = LaunchedApp.start(dataDir, { PGPASSWORD: db.password, ...host.env });
    await eventually("the second launch ends", () => !second!.running);
    expect(await second.exited, "the second launch exits cleanly").toBe(0);
    await eventually("the running app's window shows", shown);
    expect(appPids(dataDir), "one app on the data folder").toEqual([app.pid]);
  });

  it("Pause sync pauses and keeps the pause; clicking again resumes", async () => {
    host.click(item, "Pause sync");
    await eventually("the pause is kept in the data folder", () => sql(dataDir, "SELECT value FROM sync_state WHERE key = 'sync_paused'") === "true");
    await eventually("the tray says sync is paused", () => host.menu(item)[0].label === "Sync: paused");
    host.click(item, "Pause sync");
    await eventually("sync resumes", () => sql(dataDir, "SELECT value FROM sync_state WHERE key = 'sync_paused'") === "false");
    await eventually("the tray says sync is up to date", () => host.menu(item)[0].label === "Sync: up to date");
  });

  it("Sync now brings in a server change the agent was not told about", async () => {
    // The change's notification names this device as its writer, so the agent
    // takes it for the echo of its own push and does not pull: only a cycle
    // started some other way brings it in, which is what Sync now is for (a
    // missed notification, a server that came back).
    const device = cliStatus(dataDir).device.id;
    db.psql(
      `BEGIN;
       SELECT set_config('noesis.device_id', '${device}', true);
       UPDATE memory_cards SET text = '${UNANNOUNCED}' WHERE id = 'boiler';
       COMMIT;`,
    );
    host.click(item, "Sync now");
    await eventually("the change reached the cache", () => cardText() === UNANNOUNCED);
  });

  it("Quit Noesis ends the app cleanly", async () => {
    host.click(item, "Quit Noesis");
    await eventually("the app ends", () => !app.running);
    expect(await app.exited, "exit code 0").toBe(0);
    expect(appPids(dataDir)).toEqual([]);
  });
});

describe("with 'keep syncing from the tray' turned off", () => {
  const dataDir = newDataDir();
  let host: TrayHost;
  let app: RunningApp;

  beforeAll(async () => {
    host = await TrayHost.start();
    app = await RunningApp.launch(dataDir, host.env);
    await (await app.session.find("[data-testid=wz-skip]")).click();
  });
  afterAll(async () => {
    await app?.close();
    await host?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("closing the window from its title bar quits the app, tray icon or not", async () => {
    const s = app.session;
    await (await s.find("[data-testid=nav-settings]")).click();
    const box = await s.find("[data-testid=settings-tray]");
    expect(await box.property("checked"), "on by default").toBe(true);
    await box.click();
    await s.waitForText("[data-testid=prefs-message]", (t) => t === "Saved");
    expect(sql(dataDir, "SELECT value FROM sync_state WHERE key = 'close_to_tray'")).toBe("false");
    await app.screenshot("settings-close-to-tray-off");
    await host.item();
    const [pid] = appPids(dataDir);
    expect(mainWindow(pid)?.mapped, "the window shows before closing").toBe(true);
    closeFromTitleBar(pid);
    await eventually("the app ends", () => appPids(dataDir).length === 0);
  });
});
