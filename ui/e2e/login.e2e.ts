// Start at login in the real app: Settings › "Start at login" writes the XDG
// autostart entry (tauri-plugin-autostart: ~/.config/autostart/Noesis.desktop,
// under $HOME; it does not read XDG_CONFIG_HOME) that starts this very binary
// hidden in the tray, and turning it off removes the entry. The app runs with
// a private HOME, so the tester's own login is never touched.
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP, RunningApp, newDataDir } from "./harness";

describe("start at login", () => {
  const dataDir = newDataDir();
  const home = mkdtempSync(join(tmpdir(), "noesis-e2e-home-"));
  const autostart = join(home, ".config", "autostart");
  const entry = join(autostart, "Noesis.desktop");
  let app: RunningApp;

  beforeAll(async () => {
    app = await RunningApp.launch(dataDir, { HOME: home, XDG_CONFIG_HOME: join(home, ".config") });
    await (await app.session.find("[data-testid=wz-skip]")).click();
    await (await app.session.find("[data-testid=nav-settings]")).click();
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  });

  const ticked = async () => (await app.session.find("[data-testid=settings-login]")).property("checked");

  it("is off on a new device, with no autostart entry", async () => {
    expect(await ticked()).toBe(false);
    expect(existsSync(entry), "no login entry before the user asks for one").toBe(false);
  });

  it("turning it on writes an entry that starts this app hidden in the tray", async () => {
    await (await app.session.find("[data-testid=settings-login]")).click();
    await app.session.waitForText("[data-testid=prefs-message]", (t) => t.includes("start in the tray when you log in"));
    expect(readdirSync(autostart), "one entry, named after the app").toEqual(["Noesis.desktop"]);
    const text = readFileSync(entry, "utf8");
    expect(text).toContain("[Desktop Entry]");
    expect(text).toContain("Type=Application");
    expect(text.split("\n"), "the login starts this binary with --hidden").toContain(`Exec=${realpathSync(APP)} --hidden`);
    expect(await ticked()).toBe(true);
  });

  it("turning it off removes the entry", async () => {
    await (await app.session.find("[data-testid=settings-login]")).click();
    await app.session.waitForText("[data-testid=prefs-message]", (t) => t === "Saved");
    expect(existsSync(entry), "nothing starts at login any more").toBe(false);
    expect(await ticked()).toBe(false);
  });
});
