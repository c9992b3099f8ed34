import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/preact";
import { VirtualList } from "./VirtualList";

const items = Array.from({ length: 100_000 }, (_, i) => ({ id: `c${i}`, text: `card ${i}` }));

function list(props: Partial<Parameters<typeof VirtualList<(typeof items)[0]>>[0]> = {}) {
  return render(
    <VirtualList
      items={items}
      rowHeight={50}
      keyOf={(i) => i.id}
      renderRow={(i) => <span>{i.text}</span>}
      selectedKey={null}
      onSelect={() => {}}
      label="Cards"
      {...props}
    />,
  );
}

describe("VirtualList", () => {
  it("puts only a screenful of 100,000 rows in the page, so scrolling stays smooth", () => {
    list();
    const rows = screen.getAllByRole("option");
    expect(rows.length).toBeLessThan(60);
    expect(rows[0].textContent).toBe("card 0");
    const inner = document.querySelector(".vlist-inner") as HTMLElement;
    expect(inner.style.height).toBe(`${100_000 * 50}px`);
  });

  it("renders the rows at the scroll position", () => {
    list();
    const viewport = screen.getByRole("listbox");
    viewport.scrollTop = 50 * 5000;
    fireEvent.scroll(viewport);
    expect(screen.getByText("card 5000")).toBeTruthy();
    expect(screen.queryByText("card 0")).toBeNull();
  });

  it("moves the selection with the arrow keys", () => {
    const onSelect = vi.fn();
    list({ selectedKey: "c3", onSelect });
    fireEvent.keyDown(screen.getByRole("listbox"), { key: "ArrowDown" });
    expect(onSelect).toHaveBeenLastCalledWith(items[4]);
    fireEvent.keyDown(screen.getByRole("listbox"), { key: "Home" });
    expect(onSelect).toHaveBeenLastCalledWith(items[0]);
  });

  it("asks for the next page when the end of what is loaded comes into view", () => {
    const onNearEnd = vi.fn();
    render(
      <VirtualList items={items.slice(0, 30)} rowHeight={50} keyOf={(i) => i.id} renderRow={(i) => i.text}
        selectedKey={null} onSelect={() => {}} onNearEnd={onNearEnd} label="Cards" />,
    );
    expect(onNearEnd).toHaveBeenCalled();
  });
});
