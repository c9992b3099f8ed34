import { describe, expect, it } from "vitest";
import { fireEvent, render, screen } from "@testing-library/preact";
import { layout, visibleRange, VirtualMessages } from "./VirtualMessages";

describe("layout and visibleRange", () => {
  const offsets = layout([10, 20, 30, 40]); // rows at 0, 10, 30, 60; 100 in all

  it("sums the heights into each row's top and the total", () => {
    expect([...offsets]).toEqual([0, 10, 30, 60, 100]);
  });

  const cases: [number, number, [number, number]][] = [
    [0, 5, [0, 1]], // inside the first row
    [0, 10, [0, 1]], // a row that starts at the band's end is not in it
    [5, 35, [0, 3]], // three rows overlap
    [30, 60, [2, 3]], // exactly one row
    [-800, 15, [0, 2]], // the margin above the first row
    [95, 900, [3, 4]], // the margin below the last
    [500, 900, [3, 4]], // past the end: the last row, never nothing
  ];
  it.each(cases)("rows overlapping %d..%d are %j", (top, bottom, expected) => {
    expect(visibleRange(offsets, top, bottom)).toEqual(expected);
  });

  it("has no rows for no items", () => {
    expect(visibleRange(layout([]), 0, 600)).toEqual([0, 0]);
  });
});

describe("VirtualMessages", () => {
  const items = Array.from({ length: 5000 }, (_, i) => `message ${i}`);
  const show = () =>
    render(<VirtualMessages items={items} estimateHeight={() => 50} renderItem={(t) => <p>{t}</p>} label="Messages" />);

  it("puts only the rows in view and a margin in the page, with space for the rest", () => {
    show();
    const rows = screen.getAllByRole("listitem");
    // 600 px of view and 800 px of margin each side at 50 px a row.
    expect(rows.length).toBeLessThanOrEqual(30);
    expect(rows[0].textContent).toBe("message 0");
    expect(rows[0].getAttribute("aria-setsize")).toBe("5000");
    const spacers = [...document.querySelectorAll<HTMLElement>(".vm-spacer")];
    expect(spacers[1].style.height).toBe(`${(5000 - rows.length) * 50}px`);
  });

  it("follows the scroll position", () => {
    show();
    const list = screen.getByRole("list");
    list.scrollTop = 50 * 4000;
    fireEvent.scroll(list);
    expect(screen.getByText("message 4000")).toBeTruthy();
    expect(screen.queryByText("message 0")).toBeNull();
    expect(screen.getAllByRole("listitem").length).toBeLessThanOrEqual(45);
  });
});
