import { describe, expect, it } from "vitest";
import { formatBytes, formatRelative, parseTags, plural } from "./format";

describe("formatBytes", () => {
  it.each([
    [0, "0 bytes"],
    [1, "1 byte"],
    [1536, "1.5 KB"],
    [123456, "121 KB"],
    [5 * 1024 ** 3, "5 GB"],
    [null, "—"],
  ])("%s bytes read as %s", (bytes, shown) => {
    expect(formatBytes(bytes)).toBe(shown);
  });
});

describe("formatRelative", () => {
  const now = new Date("2024-03-05T14:10:00Z");
  it.each([
    ["2024-03-05T14:09:30.000000Z", "just now"],
    ["2024-03-05T14:00:00.000000Z", "10 min ago"],
    ["2024-03-05T11:00:00.000000Z", "3 h ago"],
    ["2024-03-04T12:00:00.000000Z", "yesterday"],
  ])("%s shows as %s", (stored, shown) => {
    expect(formatRelative(stored, now)).toBe(shown);
  });
  it("shows a dash for a missing or unreadable time instead of 'Invalid Date'", () => {
    expect(formatRelative(null, now)).toBe("—");
    expect(formatRelative("yesterday-ish", now)).toBe("—");
  });
});

describe("counts and tags", () => {
  it("pluralises with thousands separators", () => {
    expect(plural(1, "card")).toBe("1 card");
    expect(plural(100000, "card")).toBe("100,000 cards");
    expect(plural(2, "match", "matches")).toBe("2 matches");
  });
  it("splits a tag field on commas and drops blanks", () => {
    expect(parseTags(" physics, ,reading list,")).toEqual(["physics", "reading list"]);
  });
});
