// Formatting of stored values for display: sizes, times, counts, table names.

const UNITS = ["bytes", "KB", "MB", "GB", "TB"];

/** 1536 → "1.5 KB"; whole bytes below 1 KB; "—" when unknown. */
export function formatBytes(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes) || bytes < 0) return "—";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${value} ${value === 1 ? "byte" : "bytes"}`;
  return `${value >= 100 ? Math.round(value) : value.toFixed(1).replace(/\.0$/, "")} ${UNITS[unit]}`;
}

/** Parses the cache's ISO-8601 UTC text ("2024-03-05T14:07:09.250000Z"). */
export function parseTimestamp(text: string | null | undefined): Date | null {
  if (!text) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "just now", "5 min ago", "3 h ago", "yesterday", else a local date. */
export function formatRelative(text: string | null | undefined, now: Date = new Date()): string {
  const date = parseTimestamp(text);
  if (!date) return "—";
  const seconds = (now.getTime() - date.getTime()) / 1000;
  if (seconds < 0) return formatDate(text);
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  if (seconds < 2 * 86400) return "yesterday";
  return date.toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" });
}

/** A local date and time, e.g. "5 Mar 2024, 15:07". */
export function formatDate(text: string | null | undefined): string {
  const date = parseTimestamp(text);
  if (!date) return "—";
  return date.toLocaleString(undefined, {
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** "1 card", "2 cards", "12,345 cards". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString("en-US")} ${count === 1 ? one : many}`;
}

/** Splits a comma-separated tag field into tags. */
export function parseTags(text: string): string[] {
  return text
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

const TABLE_LABELS: Record<string, string> = {
  memory_cards: "Memory card",
  chat_sessions: "Chat",
  mindfile_entries: "Mind file entry",
  documents: "Document",
  document_chunks: "Document chunk",
};

/** A synced table as people call it ("memory_cards" → "Memory card"); an
 *  unknown table keeps its name rather than vanishing. */
export function tableLabel(table: string): string {
  return TABLE_LABELS[table] ?? table;
}

/** A field's JSON text (conflicts, history) as people read it: strings bare,
 *  nothing as a dash, other JSON indented. */
export function showValue(json: string): string {
  const value: unknown = JSON.parse(json);
  if (value === null) return "—";
  if (typeof value === "string") return value;
  return JSON.stringify(value, null, 2);
}
