import { describe, expect, it } from "vitest";
import { choices, fieldLabel, fieldValueLabel, label, readable } from "./labels";
import type { Vocabulary } from "./labels";

describe("label", () => {
  // What the user reads for each value the Noesis server stores.
  const cases: [Vocabulary, string, string][] = [
    ["MemoryCategory", "principles_values", "Principles & values"],
    ["MemoryCategory", "cognitive_framing", "Cognitive framing"],
    ["MemoryCategory", "decision_heuristics", "Decision heuristics"],
    ["MemoryCategory", "preferences", "Preferences"],
    ["MemoryCategory", "vocabulary", "Vocabulary"],
    ["MemoryScope", "project", "This project"],
    ["MemoryScope", "global", "Everywhere"],
    ["MemoryApproval", "pending", "Pending"],
    ["MemoryApproval", "approved", "Approved"],
    ["MemoryApproval", "rejected", "Rejected"],
    ["DocumentStatus", "pending", "Pending"],
    ["DocumentStatus", "indexing", "Indexing"],
    ["DocumentStatus", "indexed", "Indexed"],
    ["DocumentStatus", "error", "Error"],
    ["DocumentType", "pdf", "PDF"],
    ["DocumentType", "docx", "Word"],
    ["ChatRole", "user", "You"],
    ["ChatRole", "assistant", "Assistant"],
    // Values the server's enums lack (typed in psql, an older tool) stay visible and readable.
    ["MemoryCategory", "decision_rules", "Decision rules"],
    ["MemoryCategory", "fact", "Fact"],
    ["MemoryApproval", "needs-review", "Needs review"],
    ["ChatRole", "system", "System"],
    ["ChatRole", "tool_call", "Tool call"],
    ["DocumentType", "HEIC", "HEIC"],
    ["MemoryScope", "", "—"],
  ];
  it.each(cases)("%s %j reads %j", (vocabulary, value, expected) => {
    expect(label(vocabulary, value)).toBe(expected);
  });

  it("offers every value of a vocabulary in the server's order", () => {
    expect(choices("MemoryCategory").map(([v]) => v)).toEqual([
      "principles_values",
      "cognitive_framing",
      "decision_heuristics",
      "preferences",
      "vocabulary",
    ]);
  });
});

describe("readable", () => {
  const cases: [string, string][] = [
    ["cognitive_framing", "Cognitive framing"],
    ["llm_generated", "Llm generated"],
    ["  spaced__out_ ", "Spaced out"],
    ["already Readable", "Already Readable"],
    ["llama3.1:8b", "Llama3.1:8b"],
    ["_", "—"],
    ["", "—"],
  ];
  it.each(cases)("%j reads %j", (value, expected) => {
    expect(readable(value)).toBe(expected);
  });
});

describe("fields of conflicts and versions", () => {
  const cases: [string, string, string, string][] = [
    ["memory_cards", "category", "cognitive_framing", "Cognitive framing"],
    ["memory_cards", "scope", "project", "This project"],
    ["memory_cards", "approval", "approved", "Approved"],
    ["mindfile_entries", "category", "principles_values", "Principles & values"],
    ["documents", "status", "indexed", "Indexed"],
    ["documents", "file_type", "md", "Markdown"],
    // Free text is shown as typed, even when it looks like a value.
    ["memory_cards", "text", "cognitive_framing", "cognitive_framing"],
    ["chat_sessions", "title", "approved", "approved"],
    // No value at all stays a dash.
    ["memory_cards", "category", "—", "—"],
  ];
  it.each(cases)("%s.%s %j reads %j", (table, field, shown, expected) => {
    expect(fieldValueLabel(table, field, shown)).toBe(expected);
  });

  it("names columns in words", () => {
    expect(fieldLabel("source_memory_card_id")).toBe("Source memory card id");
    expect(fieldLabel("text")).toBe("Text");
  });
});
