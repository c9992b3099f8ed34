import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/preact";
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
import { ChatsView } from "./Chats";

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
