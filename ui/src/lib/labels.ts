// What a person reads for a value the Noesis server stores: its categories,
// scopes, approvals, document statuses and types, chat roles, and the column
// names a conflict or a version lists. The server's enums and their labels
// are declared once in the engine (engine/src/tables/contract.rs) and reach
// the front end as the generated `VOCABULARIES`; this module only looks them
// up. A value the server's enums do not have (written by psql or an older
// tool) is still shown, made readable, never hidden and never upper-cased by
// CSS: "decision_rules" reads "Decision rules".
import { VOCABULARIES } from "../bindings";

/** One of the server's enums, by its Python class name. */
export type Vocabulary = keyof typeof VOCABULARIES | "ChatRole";

/**
 * `ChatMessage.role` is a plain string on the server, commented
 * `"user" | "assistant"` (core/artifacts/storage_sessions_pg.py); the engine
 * declares no enum for it, so its two labels live here. The user's own
 * messages read "You", as in any chat.
 */
const CHAT_ROLES: ReadonlyArray<readonly [string, string]> = [
  ["user", "You"],
  ["assistant", "Assistant"],
];

/** Each vocabulary's values with their labels, in the server's order. */
const TERMS: Record<Vocabulary, ReadonlyArray<readonly [string, string]>> = { ...VOCABULARIES, ChatRole: CHAT_ROLES };

/**
 * Which vocabulary a column's values belong to, so a conflict or a version
 * shows "Cognitive framing" rather than "cognitive_framing". The mind file's
 * `MindFileEntryCategory` has the same five values as `MemoryCategory`.
 */
const COLUMN_VOCABULARIES: Record<string, Record<string, Vocabulary>> = {
  memory_cards: { category: "MemoryCategory", scope: "MemoryScope", approval: "MemoryApproval" },
  mindfile_entries: { category: "MemoryCategory" },
  documents: { status: "DocumentStatus", file_type: "DocumentType" },
};

/** A stored value nobody declared, made readable: underscores and hyphens
 *  become spaces, the first letter is capitalised, the rest kept as stored
 *  ("llm_generated" → "Llm generated"); an empty value reads "—". */
export function readable(value: string): string {
  const words = value.replace(/[_-]+/g, " ").replace(/\s+/g, " ").trim();
  if (words === "") return "—";
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The label of `value` in `vocabulary` ("principles_values" → "Principles &
 *  values"), or the value made readable when the server has no such value. */
export function label(vocabulary: Vocabulary, value: string): string {
  return TERMS[vocabulary].find(([v]) => v === value)?.[1] ?? readable(value);
}

/** The values and labels of `vocabulary`, for a form's select: only these
 *  are offered, since the server refuses any other. */
export function choices(vocabulary: Vocabulary): ReadonlyArray<readonly [string, string]> {
  return TERMS[vocabulary];
}

/** Whether `value` is one of `vocabulary`'s values exactly. */
export function isKnown(vocabulary: Vocabulary, value: string): boolean {
  return TERMS[vocabulary].some(([v]) => v === value);
}

/** A column's name as people read it ("source_memory_card_id" → "Source
 *  memory card id"), for the field lists of conflicts and history. */
export function fieldLabel(field: string): string {
  return readable(field);
}

/** One stored field value as shown in a conflict or a version: the label
 *  when the column holds one of the server's enums, else `shown` (the
 *  value already formatted by `showValue`). */
export function fieldValueLabel(table: string, field: string, shown: string): string {
  const vocabulary = COLUMN_VOCABULARIES[table]?.[field];
  return vocabulary && shown !== "—" ? label(vocabulary, shown) : shown;
}
