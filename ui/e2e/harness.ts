// Starting and stopping the real app for a test: a data folder, tauri-driver
// pointed at Debian's WebKitWebDriver, a WebDriver session, screenshots, and
// the CLI and sqlite3 to look at the cache from outside the app.
import { spawn, execFileSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Session, sleep } from "./webdriver";
import type { Json } from "./webdriver";

export const ROOT = resolve(__dirname, "../..");
const TARGET = process.env.CARGO_TARGET_DIR ?? join(ROOT, "target");
export const APP = process.env.NOESIS_DESKTOP_APP ?? join(TARGET, "debug/noesis-desktop");
export const CLI = process.env.NOESIS_SYNC_BIN ?? join(TARGET, "debug/noesis-sync");
/** Writes generated legacy stores (the test-support crate's tool, never shipped). */
export const TESTDATA = process.env.NOESIS_TESTDATA_BIN ?? join(TARGET, "debug/noesis-testdata");
/** Where screenshots go: a scratch folder by default, so a test run leaves the
 *  working tree clean; scripts/test-desktop.sh --screenshots refreshes docs/screenshots. */
export const SCREENSHOTS = process.env.NOESIS_SCREENSHOTS_DIR ?? join(TARGET, "e2e-screenshots");
/** Ports away from tauri-driver's defaults (4444/4445) so a developer's own session is not disturbed. */
const PORT = Number(process.env.NOESIS_E2E_PORT ?? 4744);

export function newDataDir(): string {
  return mkdtempSync(join(tmpdir(), "noesis-e2e-"));
}

export class RunningApp {
  private constructor(
    readonly session: Session,
    private readonly driver: ChildProcess,
  ) {}

  /** Launches the app on `dataDir` (passed as NOESIS_DATA_DIR, which the app
   *  honours), with `env` added to its environment (PGPASSWORD for sync tests). */
  static async launch(dataDir: string, env: Record<string, string> = {}): Promise<RunningApp> {
    const driver = spawn(
      "tauri-driver",
      ["--port", String(PORT), "--native-port", String(PORT + 1), "--native-driver", "/usr/bin/WebKitWebDriver"],
      { env: { ...process.env, ...env, NOESIS_DATA_DIR: dataDir }, stdio: ["ignore", "inherit", "inherit"] },
    );
    const base = `http://127.0.0.1:${PORT}`;
    for (let i = 0; ; i++) {
      try {
        const session = await Session.start(base, APP);
        return new RunningApp(session, driver);
      } catch (e) {
        if (i > 100) {
          driver.kill();
          throw e;
        }
        await sleep(200);
      }
    }
  }

  /** Kills the app process of `dataDir` at once (SIGKILL: no chance to clean
   *  up, as a crash, a power cut or a force quit), found by its data folder in
   *  /proc, then ends the WebDriver session and the driver. */
  async kill(dataDir: string): Promise<void> {
    const pids = appPids(dataDir);
    if (pids.length === 0) throw new Error(`no app process runs on ${dataDir}`);
    for (const pid of pids) process.kill(pid, "SIGKILL");
    for (let i = 0; i < 100 && appPids(dataDir).length > 0; i++) await sleep(100);
    await this.close();
  }

  async close(): Promise<void> {
    await this.session.end();
    this.driver.kill();
    await new Promise((r) => this.driver.once("exit", r).once("error", r));
  }

  /** Replaces the text of the input with `data-testid=testId`, as typed
   *  (an empty `value` leaves it empty). */
  async fill(testId: string, value: string): Promise<void> {
    const input = await this.session.find(`[data-testid=${testId}]`);
    await input.clear();
    if (value) await input.type(value);
  }

  /** Types `server`'s host, port and user, and `database`, into the wizard's
   *  server step (the password is left to the test), and picks TLS "Prefer":
   *  the test servers run on this machine, some without TLS, where the form's
   *  default (Require, for a server across the network) would fail. */
  async fillServerForm(server: URL, database: string): Promise<void> {
    await this.fill("wz-host", server.hostname);
    await this.fill("wz-port", server.port);
    await this.fill("wz-database", database);
    await this.fill("wz-user", decodeURIComponent(server.username));
    await this.session.execute(
      "const sel = document.querySelector('[data-testid=wz-tls]'); sel.value = 'prefer'; sel.dispatchEvent(new Event('change', {bubbles: true}));",
    );
  }

  /** Saves a screenshot as docs/screenshots/<name>.png. */
  async screenshot(name: string): Promise<void> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    // Let transitions and fonts settle so the picture shows what a user sees.
    await sleep(300);
    writeFileSync(join(SCREENSHOTS, `${name}.png`), Buffer.from(await this.session.screenshot(), "base64"));
  }
}

/** The app started straight from its binary, as a desktop launcher or the
 *  login starts it, without WebDriver: for tests that pass it arguments
 *  (`--hidden`) or need its exit code, which WebKitWebDriver keeps to itself
 *  when it starts the app. */
export class LaunchedApp {
  /** The exit code once the app has ended; null if a signal ended it. */
  readonly exited: Promise<number | null>;
  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((r) => child.once("exit", (code) => r(code)));
  }

  /** Starts the app on `dataDir` with `env` added to its environment. */
  static start(dataDir: string, env: Record<string, string> = {}, args: string[] = []): LaunchedApp {
    const child = spawn(APP, args, { env: { ...process.env, ...env, NOESIS_DATA_DIR: dataDir }, stdio: ["ignore", "inherit", "inherit"] });
    return new LaunchedApp(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Whether the process is still running. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Ends the app if it still runs (SIGTERM) and waits for it. */
  async stop(): Promise<void> {
    if (this.running) this.child.kill();
    await this.exited;
  }
}

/** Waits until `check` returns true (a server, another device or the window
 *  catching up), polling; fails saying `what` never happened. */
export async function eventually(what: string, check: () => boolean, timeout = 20_000): Promise<void> {
  const end = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await sleep(250);
  }
}

/** Runs an SQL statement on the data folder's cache with Debian's sqlite3. */
export function sql(dataDir: string, statement: string): string {
  return execFileSync("sqlite3", [join(dataDir, "cache.sqlite3")], { input: statement, encoding: "utf8" }).trim();
}

/** `noesis-sync status --json` for the data folder. */
export function cliStatus(dataDir: string): Json {
  return JSON.parse(execFileSync(CLI, ["status", "--json", "--data-dir", dataDir], { encoding: "utf8" }));
}

/** The app processes (this test's build) running on `dataDir`. */
export function appPids(dataDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (env.includes(`NOESIS_DATA_DIR=${dataDir}`) && readlinkSync(`/proc/${entry}/exe`) === realpathSync(APP)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return pids;
}
