// A minimal W3C WebDriver client over fetch: just what the end-to-end tests
// need to drive the real app through tauri-driver, with no browser download.

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

/** JSON from the WebDriver server or the CLI, which tests read field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export class WebDriverError extends Error {}

async function request(base: string, method: string, path: string, body?: unknown): Promise<Json> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json().catch(() => ({}))) as { value?: Json };
  if (!response.ok) {
    const v = json.value ?? {};
    throw new WebDriverError(`${method} ${path}: ${v.error ?? response.status} ${v.message ?? ""}`);
  }
  return json.value;
}

export class Session {
  private constructor(
    private readonly base: string,
    readonly id: string,
  ) {}

  /** Starts the app at `application` through tauri-driver listening at `base`. */
  static async start(base: string, application: string): Promise<Session> {
    const value = await request(base, "POST", "/session", {
      capabilities: { alwaysMatch: { browserName: "wry", "tauri:options": { application } } },
    });
    return new Session(base, value.sessionId);
  }

  private call(method: string, path: string, body?: unknown) {
    return request(this.base, method, `/session/${this.id}${path}`, body);
  }

  async end(): Promise<void> {
    await this.call("DELETE", "").catch(() => undefined);
  }

  /** The element matching `css`, waiting up to `timeout` ms for it to appear. */
  async find(css: string, timeout = 10_000): Promise<Element> {
    let last: unknown;
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      try {
        const value = await this.call("POST", "/element", { using: "css selector", value: css });
        return new Element(this, value[ELEMENT]);
      } catch (e) {
        last = e;
        await sleep(100);
      }
    }
    throw new WebDriverError(`no element matches ${css} after ${timeout} ms (${String(last)})`);
  }

  async findAll(css: string): Promise<Element[]> {
    const values = await this.call("POST", "/elements", { using: "css selector", value: css });
    return values.map((v: Json) => new Element(this, v[ELEMENT]));
  }

  /** Runs `script` in the page and returns its value. */
  execute<T>(script: string, args: unknown[] = []): Promise<T> {
    return this.call("POST", "/execute/sync", { script, args });
  }

  /** The text of the first element matching `css` (its DOM text, spaces
   *  collapsed, as written rather than as CSS transforms it), once `predicate` holds. */
  async waitForText(css: string, predicate: (text: string) => boolean, timeout = 10_000): Promise<string> {
    const deadline = Date.now() + timeout;
    let text = "";
    while (Date.now() < deadline) {
      const found = await this.execute<string | null>(
        "const e = document.querySelector(arguments[0]); return e ? e.textContent.replace(/\\s+/g, ' ').trim() : null;",
        [css],
      );
      if (found !== null) {
        text = found;
        if (predicate(text)) return text;
      }
      await sleep(100);
    }
    throw new WebDriverError(`${css} never showed the expected text; last seen: ${JSON.stringify(text)}`);
  }

  /** A PNG of the window, base64. */
  screenshot(): Promise<string> {
    return this.call("GET", "/screenshot");
  }

  elementCall(method: string, path: string, body?: unknown) {
    return this.call(method, path, body);
  }
}

export class Element {
  constructor(
    private readonly session: Session,
    readonly id: string,
  ) {}

  click() {
    return this.session.elementCall("POST", `/element/${this.id}/click`, {});
  }
  type(text: string) {
    return this.session.elementCall("POST", `/element/${this.id}/value`, { text });
  }
  clear() {
    return this.session.elementCall("POST", `/element/${this.id}/clear`, {});
  }
  text(): Promise<string> {
    return this.session.elementCall("GET", `/element/${this.id}/text`);
  }
  property(name: string): Promise<unknown> {
    return this.session.elementCall("GET", `/element/${this.id}/property/${name}`);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
