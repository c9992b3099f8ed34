// A windowed list: only the rows in view (plus a margin) are in the DOM, so a
// list of 100,000 cards scrolls as smoothly as one of 10. Rows have a fixed
// height. When the user nears the end of what is loaded, `onNearEnd` asks for
// the next keyset page. Arrow keys, Home/End and Page Up/Down move the
// selection, which is always scrolled into view.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

/** Rows rendered above and below the visible ones, so fast scrolling never shows blanks. */
const OVERSCAN = 8;
/** Load the next page when fewer than this many loaded rows remain below the view. */
const NEAR_END_ROWS = 40;

export interface VirtualListProps<T> {
  items: T[];
  rowHeight: number;
  keyOf: (item: T) => string;
  renderRow: (item: T, selected: boolean) => ComponentChildren;
  selectedKey: string | null;
  onSelect: (item: T) => void;
  onNearEnd?: () => void;
  label: string;
  footer?: ComponentChildren;
}

export function VirtualList<T>(props: VirtualListProps<T>) {
  const { items, rowHeight, keyOf, selectedKey, onSelect, onNearEnd } = props;
  const viewport = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);

  useEffect(() => {
    const element = viewport.current;
    if (!element) return;
    const measure = () => setHeight(element.clientHeight || 600);
    measure();
    const observer = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(measure);
    observer?.observe(element);
    return () => observer?.disconnect();
  }, []);

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - OVERSCAN);
  const last = Math.min(items.length, Math.ceil((scrollTop + height) / rowHeight) + OVERSCAN);

  useEffect(() => {
    if (onNearEnd && items.length - last < NEAR_END_ROWS) onNearEnd();
  }, [last, items.length, onNearEnd]);

  const selectedIndex = selectedKey === null ? -1 : items.findIndex((i) => keyOf(i) === selectedKey);

  const scrollIntoView = (index: number) => {
    const element = viewport.current;
    if (!element) return;
    const top = index * rowHeight;
    if (top < element.scrollTop) element.scrollTop = top;
    else if (top + rowHeight > element.scrollTop + element.clientHeight)
      element.scrollTop = top + rowHeight - element.clientHeight;
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (items.length === 0) return;
    const page = Math.max(1, Math.floor(height / rowHeight) - 1);
    const moves: Record<string, number> = {
      ArrowDown: selectedIndex + 1,
      ArrowUp: selectedIndex - 1,
      PageDown: selectedIndex + page,
      PageUp: selectedIndex - page,
      Home: 0,
      End: items.length - 1,
    };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const index = Math.min(items.length - 1, Math.max(0, moves[event.key]));
    onSelect(items[index]);
    scrollIntoView(index);
  };

  return (
    <div
      class="vlist"
      ref={viewport}
      tabIndex={0}
      role="listbox"
      aria-label={props.label}
      aria-activedescendant={selectedKey ? `row-${selectedKey}` : undefined}
      onScroll={(e) => setScrollTop((e.currentTarget as HTMLDivElement).scrollTop)}
      onKeyDown={onKeyDown}
    >
      <div class="vlist-inner" style={{ height: `${items.length * rowHeight}px` }}>
        {items.slice(first, last).map((item, offset) => {
          const key = keyOf(item);
          const selected = key === selectedKey;
          return (
            <div
              key={key}
              id={`row-${key}`}
              role="option"
              aria-selected={selected}
              class={selected ? "vrow selected" : "vrow"}
              style={{ top: `${(first + offset) * rowHeight}px`, height: `${rowHeight}px` }}
              onMouseDown={() => onSelect(item)}
            >
              {props.renderRow(item, selected)}
            </div>
          );
        })}
      </div>
      {props.footer}
    </div>
  );
}
