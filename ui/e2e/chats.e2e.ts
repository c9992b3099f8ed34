// A long chat in the real app: a 5,000-message session opens at once, the
// page holds only the messages in view (the windowed list), and scrolling
// reaches the last message. Issue 16: before windowing this chat took 2.9 s
// to open and put 17,790 nodes in the page.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunningApp, newDataDir, sql } from "./harness";
import { seed } from "./seed";
import { sleep } from "./webdriver";

/** Messages in the long chat: the size the issue measured. */
const MESSAGES = 5000;
const LAST = "Last message of the long chat: see you on Tuesday";

/** Adds the long chat (as if pulled from the server, so nothing is pending):
 *  alternating user and assistant messages of varied length, some with line
 *  breaks, so their heights differ as real ones do. */
function seedLongChat(dataDir: string): void {
  sql(
    dataDir,
    `BEGIN;
     UPDATE sync_capture SET capturing = 0;
     WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${MESSAGES - 1})
     INSERT INTO chat_sessions (id, title, created_at, updated_at, messages)
     SELECT 's-long', 'Five thousand messages', '2025-06-01T09:00:00.000000Z', '2025-06-30T18:00:00.000000Z',
            json_group_array(json_object(
              'role', CASE i % 2 WHEN 0 THEN 'user' ELSE 'assistant' END,
              'text', CASE WHEN i = ${MESSAGES - 1} THEN '${LAST}'
                           ELSE 'Message ' || i || ': ' || substr(
                             'The allotment needs watering twice a week in July, more when it is hot and windy. '
                             || char(10) || 'Beans go in after the last frost; the tomatoes want a sheltered spot. '
                             || 'Compost from the autumn is ready by spring if it is turned every month or so.',
                             1, 20 + (i * 37) % 220) END,
              'model', CASE i % 2 WHEN 1 THEN 'llama3.1:8b' END))
     FROM (SELECT i FROM n ORDER BY i);
     UPDATE sync_capture SET capturing = 1;
     COMMIT;`,
  );
}

describe("a 5,000-message chat", () => {
  const dataDir = newDataDir();
  let app: RunningApp;

  beforeAll(async () => {
    seed(dataDir, 1000);
    seedLongChat(dataDir);
    app = await RunningApp.launch(dataDir);
  });
  afterAll(async () => {
    await app?.close();
  });

  it("opens at once with only the messages in view in the page", async () => {
    const s = app.session;
    await (await s.find("[data-testid=nav-chats]", 20_000)).click();
    await s.waitForText("[data-testid=chat-row]", (t) => t.includes("Five thousand messages"), 20_000);
    // Time from the click until the messages are in the page and the next
    // frame has been painted, measured in the page so WebDriver's round trips
    // do not count: the cold open a user sees.
    await s.execute(`
      window.__opened = null;
      const row = [...document.querySelectorAll('[data-testid=chat-row]')].find((r) => r.textContent.includes('Five thousand messages'));
      const start = performance.now();
      const observer = new MutationObserver(() => {
        if (!document.querySelector('[data-testid=chat-detail] [data-testid=message]')) return;
        observer.disconnect();
        requestAnimationFrame(() => setTimeout(() => (window.__opened = performance.now() - start), 0));
      });
      observer.observe(document.body, { childList: true, subtree: true });
      row.closest('[role=option]').dispatchEvent(new MouseEvent('mousedown', { bubbles: true }));
    `);
    let opened: number | null = null;
    for (let i = 0; i < 100 && opened === null; i++) {
      await sleep(100);
      opened = await s.execute<number | null>("return window.__opened");
    }
    // The command's reply alone (the whole session, about 950 KB of JSON),
    // asked for again afterwards, so the rest is what the front end takes.
    await s.execute(`
      window.__replied = null;
      const start = performance.now();
      window.__TAURI_INTERNALS__.invoke('get_chat_session', { id: 's-long' }).then(() => (window.__replied = performance.now() - start));
    `);
    let reply: number | null = null;
    for (let i = 0; i < 100 && reply === null; i++) {
      await sleep(100);
      reply = await s.execute<number | null>("return window.__replied");
    }
    const messages = await s.execute<number>("return document.querySelectorAll('[data-testid=message]').length");
    const nodes = await s.execute<number>("return document.getElementsByTagName('*').length");
    expect(opened, "the chat appeared").not.toBeNull();
    console.log(
      `long chat: opened in ${opened!.toFixed(0)} ms (the command's reply alone: ${reply?.toFixed(0)} ms); ` +
        `${messages} messages and ${nodes} nodes in the page`,
    );
    // Logged, not asserted (speed is for measuring, not for tests): a debug
    // build under Xvfb's software rendering, on a machine shared with builds,
    // 170-750 ms, about 130 of them the reply. Before windowing the open took
    // 2.9 s, nearly all of it rendering every message; what windowing
    // changes, and what this test holds, is how much is in the page.
    expect(messages, "messages in the page").toBeLessThan(200);
    expect(nodes, "nodes in the whole page").toBeLessThan(2000);
    expect(await s.execute<string>("return document.querySelector('[data-testid=chat-detail]').textContent")).toContain(
      "5,000 messages",
    );
    await app.screenshot("chat-long");
  });

  it("scrolls smoothly and reaches the last message", async () => {
    const s = app.session;
    // Scroll through a third of the chat a screen at a time, one step per
    // frame, and time each frame.
    await s.execute(`
      window.__frames = null;
      const list = document.querySelector('[data-testid=messages]');
      const times = [];
      let last = performance.now();
      let step = 0;
      const tick = () => {
        const now = performance.now();
        times.push(now - last);
        last = now;
        list.scrollTop += list.clientHeight;
        if (++step < 120) requestAnimationFrame(tick);
        else window.__frames = times.slice(1);
      };
      requestAnimationFrame(tick);
    `);
    let frames: number[] | null = null;
    for (let i = 0; i < 100 && frames === null; i++) {
      await sleep(100);
      frames = await s.execute<number[] | null>("return window.__frames");
    }
    expect(frames, "the scroll finished").not.toBeNull();
    const sorted = [...frames!].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    const worst = sorted[sorted.length - 1];
    console.log(`long chat: ${frames!.length} scroll frames, median ${median.toFixed(1)} ms, worst ${worst.toFixed(1)} ms`);
    // Logged, not asserted: under Xvfb an idle frame takes 16 ms and the
    // cards list, scrolled the same way, 33 ms; a new screen of messages
    // every frame takes about 40.
    const midway = await s.execute<number[]>(
      "return [...document.querySelectorAll('[data-testid=message]')].map((m) => Number(m.dataset.index))",
    );
    expect(Math.min(...midway), "the window moved down the chat").toBeGreaterThan(100);
    expect(midway.length).toBeLessThan(200);

    // To the end: the total height settles as the last messages are measured.
    let reached = false;
    for (let i = 0; i < 20 && !reached; i++) {
      reached = await s.execute<boolean>(`
        const list = document.querySelector('[data-testid=messages]');
        list.scrollTop = list.scrollHeight;
        const last = document.querySelector('[data-testid=message][data-index="${MESSAGES - 1}"]');
        if (!last) return false;
        const box = last.getBoundingClientRect(), view = list.getBoundingClientRect();
        return box.bottom <= view.bottom + 1 && box.top >= view.top;
      `);
      if (!reached) await sleep(100);
    }
    expect(reached, "the last message is in view after scrolling to the end").toBe(true);
    expect(await s.execute<string>("return document.querySelector('[data-testid=messages]').textContent")).toContain(LAST);
    expect(await s.execute<number>("return document.querySelectorAll('[data-testid=message]').length")).toBeLessThan(200);
    await app.screenshot("chat-long-end");
  });

  it("keeps the reader's place when the chat changes underneath", async () => {
    const s = app.session;
    // Somewhere in the middle, as after reading for a while.
    await s.execute("const l = document.querySelector('[data-testid=messages]'); l.scrollTop = l.scrollHeight / 2;");
    await sleep(500);
    const where = `
      const list = document.querySelector('[data-testid=messages]');
      const view = list.getBoundingClientRect();
      const first = [...list.querySelectorAll('[data-testid=message]')].find((m) => m.getBoundingClientRect().bottom > view.top);
      return { index: Number(first.dataset.index), offset: Math.round(first.getBoundingClientRect().top - view.top) };`;
    const before = await s.execute<{ index: number; offset: number }>(where);
    expect(before.index).toBeGreaterThan(1000);
    // Another program (as a pull would) appends a message to this chat.
    sql(
      dataDir,
      `UPDATE chat_sessions SET messages = json_insert(messages, '$[#]', json_object('role', 'user', 'text', 'Added on the Mac Studio')),
              updated_at = '2025-07-01T08:00:00.000000Z' WHERE id = 's-long';`,
    );
    await s.waitForText("[data-testid=chat-detail] .muted.small", (t) => t.startsWith("5,001 messages"), 20_000);
    await sleep(300);
    const after = await s.execute<{ index: number; offset: number }>(where);
    expect(after, "the message at the top of the view and where it stands").toEqual(before);
  });
});
