// A real PostgreSQL for the sync end-to-end tests: a fresh database on the test
// server (scripts/with-test-postgres.sh or /tmp/devpg.env provide
// NOESIS_TEST_DATABASE_URL), set up with `noesis-sync setup`; a TCP proxy the
// test can cut to take the app offline without stopping the shared server; a
// second device driven by the CLI; psql to look at the server.
//
// Passwords never touch a file: the app's data folder holds the server URL
// without password (as `noesis-sync login` would leave it) and the app gets
// the password from PGPASSWORD in its environment, one of the sources
// engine/src/credentials.rs reads (URL, PGPASSWORD, keychain).
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { createServer, connect } from "node:net";
import type { Json } from "./webdriver";
import type { Server, Socket } from "node:net";
import { join } from "node:path";
import { CLI, newDataDir, sql } from "./harness";

const ADMIN_URL = process.env.NOESIS_TEST_DATABASE_URL;

/** Whether a test server is available; the sync tests are skipped without one. */
export const HAVE_SERVER = Boolean(ADMIN_URL);

function psqlBin(): string {
  const bin = process.env.NOESIS_TEST_PG_BIN;
  return bin && existsSync(join(bin, "psql")) ? join(bin, "psql") : "psql";
}

/** Runs SQL with psql as another program would; returns unaligned tuples. */
export function psql(url: string, statement: string): string {
  return execFileSync(psqlBin(), ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", statement], {
    encoding: "utf8",
  }).trim();
}

export class TestDatabase {
  private constructor(
    readonly url: string,
    private readonly name: string,
  ) {}

  /** A fresh database with the Noesis schema applied by `noesis-sync setup`. */
  static create(): TestDatabase {
    const name = `noesis_e2e_${randomUUID().replace(/-/g, "")}`;
    psql(ADMIN_URL!, `CREATE DATABASE ${name}`);
    const url = new URL(ADMIN_URL!);
    url.pathname = `/${name}`;
    const db = new TestDatabase(url.toString(), name);
    execFileSync(CLI, ["setup", "--data-dir", newDataDir()], { env: { ...process.env, NOESIS_DATABASE_URL: db.url }, stdio: "pipe" });
    return db;
  }

  psql(statement: string): string {
    return psql(this.url, statement);
  }

  /** The password, for the app's environment only. */
  get password(): string {
    return decodeURIComponent(new URL(this.url).password);
  }

  /** This database's URL without password, as a data folder keeps it. */
  get urlWithoutPassword(): string {
    const url = new URL(this.url);
    url.password = "";
    return url.toString();
  }

  /** This database's URL through `proxy`, without password. */
  urlVia(proxy: Proxy): string {
    const url = new URL(this.urlWithoutPassword);
    url.hostname = "127.0.0.1";
    url.port = String(proxy.port);
    return url.toString();
  }

  drop(): void {
    try {
      psql(ADMIN_URL!, `DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`);
    } catch {
      // A database left behind is harmless on a scratch server.
    }
  }
}

/** A TCP proxy in front of the server that can be cut and restored. */
export class Proxy {
  private up = true;
  private readonly sockets = new Set<Socket>();
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(upstreamUrl: string): Promise<Proxy> {
    const upstream = new URL(upstreamUrl);
    // Assigned once the server listens; the connection handler runs after.
    // eslint-disable-next-line prefer-const
    let proxy: Proxy;
    const server = createServer((client) => {
      if (!proxy.up) {
        client.destroy();
        return;
      }
      const remote = connect(Number(upstream.port || 5432), upstream.hostname);
      for (const s of [client, remote]) {
        proxy.sockets.add(s);
        s.on("close", () => proxy.sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          remote.destroy();
        });
      }
      client.pipe(remote);
      remote.pipe(client);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const address = server.address();
    proxy = new Proxy(server, typeof address === "object" && address ? address.port : 0);
    return proxy;
  }

  /** Drops every open connection and refuses new ones: the server is "gone". */
  cut(): void {
    this.up = false;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** Accepts connections again. */
  restore(): void {
    this.up = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((r) => this.server.close(r));
  }
}

/** A data folder whose cache points at `serverUrl` (no password), made with
 *  the CLI (which creates the cache) and sqlite3. */
export function dataDirFor(serverUrl: string): string {
  const dir = newDataDir();
  const env = { ...process.env };
  delete env.NOESIS_DATABASE_URL;
  execFileSync(CLI, ["status", "--json", "--data-dir", dir], { stdio: "pipe", env });
  sql(dir, `INSERT INTO sync_state (key, value) VALUES ('server_url', '${serverUrl}')`);
  return dir;
}

/** A second device: the CLI on its own data folder, straight to the server. */
export class CliDevice {
  readonly dataDir = newDataDir();
  constructor(private readonly url: string) {}

  run(...args: string[]): string {
    return execFileSync(CLI, [...args, "--data-dir", this.dataDir], {
      encoding: "utf8",
      env: { ...process.env, NOESIS_DATABASE_URL: this.url },
    });
  }

  sync(): Json {
    return JSON.parse(this.run("sync", "--json", "--wait", "30"));
  }

  sql(statement: string): string {
    return sql(this.dataDir, statement);
  }
}
