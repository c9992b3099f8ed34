import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import type { ChatMessage, ChatSession } from "../lib/api";

vi.mock("../lib/api", async () => ({
  onCacheChanged: (await import("../lib/cacheEvents.testing")).onCacheChanged,
  messageOf: (e: unknown) => (e instanceof Error ? e.message : String(e)),
  api: {
    listChatSessions: vi.fn(),
    getChatSession: vi.fn(),
    renameChatSession: vi.fn(),
    deleteChatSession: vi.fn(),
    centralProblem: vi.fn(),
    rowHistory: vi.fn(),
  },
}));

import { api } from "../lib/api";
import { fireCacheChanged } from "../lib/cacheEvents.testing";
import { ChatsView, estimateMessageHeight } from "./Chats";

const mocked = api as unknown as Record<string, ReturnType<typeof vi.fn>>;

function session(messages: ChatMessage[]): ChatSession {
  return {
    summary: {
      id: "s1",
      title: "Garden plans",
      created_at: "2025-03-01T10:00:00Z",
      updated_at: "2025-03-01T11:00:00Z",
      message_count: messages.length,
      preview: messages.at(-1)?.text ?? "",
    },
    messages,
  };
}

async function open(s: ChatSession) {
  mocked.listChatSessions.mockResolvedValue([s.summary]);
  mocked.getChatSession.mockResolvedValue(s);
  render(<ChatsView />);
  fireEvent.mouseDown(await screen.findByText("Garden plans"));
  return screen.findByTestId("chat-detail");
}

beforeEach(() => {
  vi.resetAllMocks();
  mocked.centralProblem.mockResolvedValue(null);
});

describe("ChatDetail", () => {
  it("names who spoke in words and shows the model exactly as stored", async () => {
    await open(
      session([
        { role: "user", text: "When do I sow beans?", model: null },
        { role: "assistant", text: "In April.", model: "llama3.1:8b" },
        { role: "", text: "A note without a role", model: null },
      ]),
    );
    const roles = (await screen.findAllByTestId("message-role")).map((r) => r.textContent);
    expect(roles).toEqual(["You", "Assistant · llama3.1:8b", "Message"]);
  });
});

describe("a long chat", () => {
  const long = (count: number, last = "The last word") =>
    session(
      Array.from({ length: count }, (_, i) => ({
        role: i % 2 === 0 ? "user" : "assistant",
        text: i === count - 1 ? last : `Message number ${i}`,
        model: i % 2 === 0 ? null : "qwen2.5",
      })),
    );
  const shown = () => screen.getAllByTestId("message").map((m) => Number(m.dataset.index));

  it("opens a 5,000-message chat with only a window of it in the page", async () => {
    await open(long(5000));
    const indexes = shown();
    expect(indexes[0]).toBe(0);
    expect(indexes.length).toBeLessThan(60);
    expect(screen.getByTestId("messages").getAttribute("aria-label")).toBe("Messages");
    expect(screen.getByTestId("messages").textContent).not.toContain("The last word");
  });

  it("moves the window as the user scrolls, down to the last message", async () => {
    await open(long(5000));
    const list = screen.getByTestId("messages");
    list.scrollTop = 3000 * estimateMessageHeight({ role: "user", text: "Message number 3000", model: null }, 700);
    fireEvent.scroll(list);
    expect(shown()).toContain(3000);
    expect(shown()).not.toContain(0);
    list.scrollTop = 10_000_000;
    fireEvent.scroll(list);
    expect(screen.getByTestId("messages").textContent).toContain("The last word");
    expect(shown()).toContain(4999);
    expect(shown().length).toBeLessThan(60);
  });

  it("keeps the reader's place when the chat reloads after a pull", async () => {
    await open(long(5000));
    const list = screen.getByTestId("messages");
    list.scrollTop = 2500 * 63;
    fireEvent.scroll(list);
    const before = shown();
    expect(before).toContain(2500);
    mocked.getChatSession.mockResolvedValue(long(5001, "Pulled from the Mac Studio"));
    fireCacheChanged();
    await waitFor(() => expect(mocked.getChatSession).toHaveBeenCalledTimes(2));
    await waitFor(() => expect(screen.getByText("5,001 messages", { exact: false })).toBeTruthy());
    // The same list, at the same place, showing the same messages.
    expect(screen.getByTestId("messages")).toBe(list);
    expect(list.scrollTop).toBe(2500 * 63);
    expect(shown()).toEqual(before);
  });
});

describe("estimateMessageHeight", () => {
  const message = (text: string): ChatMessage => ({ role: "user", text, model: null });
  it("grows with the lines a message wraps to and with its line breaks", () => {
    const one = estimateMessageHeight(message("Hi"), 700);
    expect(estimateMessageHeight(message("a".repeat(2000)), 700)).toBeGreaterThan(5 * one);
    expect(estimateMessageHeight(message("a\nb\nc"), 700)).toBe(estimateMessageHeight(message("abc"), 700) + 2 * 19);
    expect(estimateMessageHeight(message("a".repeat(500)), 400)).toBeGreaterThan(estimateMessageHeight(message("a".repeat(500)), 1000));
  });
});
