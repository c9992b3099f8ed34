// The desktop around the app, for what WebDriver cannot see: a session bus of
// the app's own with a StatusNotifier host on it (so Tauri's tray registers
// its icon and menu as on a user's desktop, and the test can click the menu),
// and the app's top-level X window, closed the way a window manager's title
// bar X closes it. The D-Bus and X11 work is done by two small Python scripts
// beside this file (statusnotifier.py, x11_window.py), run by Debian's python3
// with python3-dbus-next and python3-xlib (scripts/install-desktop-deps.sh).
import { execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { sleep } from "./webdriver";

/** Debian's interpreter, which has the python3-* packages the scripts import
 *  (a pyenv or venv `python3` first on PATH would not). */
const PYTHON = process.env.NOESIS_E2E_PYTHON ?? "/usr/bin/python3";
const STATUSNOTIFIER = join(__dirname, "statusnotifier.py");
const X11_WINDOW = join(__dirname, "x11_window.py");
/** The main window's title (tauri.conf.json): GTK also gives the app an
 *  unmapped client-leader window, titled after the binary. */
export const MAIN_TITLE = "Noesis";

/** A session bus with nothing on it but what the test puts there: no service
 *  activation, so no keyring, portal or accessibility daemon starts behind the
 *  test's back. */
const BUS_CONFIG = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;

/** The tray item libayatana-appindicator registered: its bus name and path. */
export interface TrayItem {
  service: string;
  path: string;
}

/** One entry of the tray menu, as a StatusNotifier host reads it. */
export interface MenuEntry {
  id: number;
  label: string;
  enabled: boolean;
}

/** A private session bus with a StatusNotifierWatcher that says a host is
 *  there, as a desktop that shows tray icons does. Give the app
 *  `env` to put it on this bus. */
export class TrayHost {
  private readonly items: TrayItem[] = [];
  private constructor(
    readonly address: string,
    private readonly daemon: ChildProcess,
    private readonly watcher: ChildProcess,
    private readonly dir: string,
  ) {}

  static async start(): Promise<TrayHost> {
    const dir = mkdtempSync(join(tmpdir(), "noesis-e2e-bus-"));
    writeFileSync(join(dir, "session.conf"), BUS_CONFIG);
    const daemon = spawn("dbus-daemon", [`--config-file=${join(dir, "session.conf")}`, "--nofork", "--print-address=1"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const address = await firstLine(daemon, "dbus-daemon");
    const watcher = spawn(PYTHON, [STATUSNOTIFIER, "watch"], {
      env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: address },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const host = new TrayHost(address, daemon, watcher, dir);
    const lines = createInterface({ input: watcher.stdout! });
    let ready: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    lines.on("line", (line) => {
      const message = JSON.parse(line);
      if (message.ready) ready();
      if (message.service) host.items.push(message);
    });
    await Promise.race([
      isReady,
      new Promise((_, reject) => watcher.once("exit", (code) => reject(new Error(`the StatusNotifier host exited (${code})`)))),
    ]);
    return host;
  }

  /** What the app needs in its environment to use this bus (and no other;
   *  with no accessibility bus on it, GTK is told not to look for one). */
  get env(): Record<string, string> {
    return { DBUS_SESSION_BUS_ADDRESS: this.address, NO_AT_BRIDGE: "1" };
  }

  /** The tray items registered so far. */
  registered(): TrayItem[] {
    return [...this.items];
  }

  /** The app's tray item, once registered (as a desktop would show it). */
  async item(timeout = 20_000): Promise<TrayItem> {
    const end = Date.now() + timeout;
    while (this.items.length === 0) {
      if (Date.now() > end) throw new Error("no tray item registered with the StatusNotifier host: the app shows no tray icon");
      await sleep(100);
    }
    return this.items[this.items.length - 1];
  }

  /** The entries of the item's menu, read over com.canonical.dbusmenu. */
  menu(item: TrayItem): MenuEntry[] {
    return JSON.parse(this.python("menu", item.service, item.path));
  }

  /** Clicks the menu entry labelled `label`, as a tray host does for a user. */
  click(item: TrayItem, label: string): void {
    this.python("click", item.service, item.path, label);
  }

  private python(...args: string[]): string {
    return execFileSync(PYTHON, [STATUSNOTIFIER, ...args], { encoding: "utf8", env: { ...process.env, ...this.env } });
  }

  async stop(): Promise<void> {
    for (const p of [this.watcher, this.daemon]) {
      if (p.exitCode === null && p.signalCode === null) {
        p.kill();
        await new Promise((r) => p.once("exit", r));
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function firstLine(child: ChildProcess, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once("line", (line) => resolve(line.trim()));
    child.once("exit", (code) => reject(new Error(`${what} exited (${code}) before it was ready`)));
  });
}

/** One of the app's top-level X windows. */
export interface XWindow {
  id: number;
  title: string;
  mapped: boolean;
}

/** The app process `pid`'s main window, or undefined once it has none (the
 *  window was destroyed, or the process is gone). */
export function mainWindow(pid: number): XWindow | undefined {
  const windows: XWindow[] = JSON.parse(execFileSync(PYTHON, [X11_WINDOW, "list", String(pid)], { encoding: "utf8" }));
  return windows.find((w) => w.title === MAIN_TITLE);
}

/** Asks the main window of `pid` to close as a click on its title bar's X
 *  does: the window manager's WM_DELETE_WINDOW message. */
export function closeFromTitleBar(pid: number): void {
  const window = mainWindow(pid);
  if (!window) throw new Error(`process ${pid} has no window titled "${MAIN_TITLE}" to close`);
  execFileSync(PYTHON, [X11_WINDOW, "close", String(window.id)]);
}
