// A windowed list of rows whose heights vary, such as a chat's messages: only
// the rows in view, plus a margin, are in the page, so a 5,000-message chat
// opens at once and scrolls smoothly (VirtualList does the same for rows of
// one fixed height).
//
// Vocabulary: a row's *estimate* is its height guessed from its content
// before it was ever shown; its *measurement* is its real height once it has
// been, which replaces the estimate for good. The *offsets* are the prefix
// sums of the heights: `offsets[i]` is the top of row i, `offsets[n]` the
// height of everything. The *anchor* is the row at the top of the view and
// where it stood: when rows above it enter the page and their estimates turn
// out wrong, the list scrolls by the difference before the frame is painted,
// so the text being read never jumps. A reload of the items (the cache
// changed underneath) keeps the measurements and the scroll position.
import type { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";

/** Pixels rendered above and below the view: more than a wheel fling moves
 *  between two frames, so scrolling never shows a blank. */
const OVERSCAN_PX = 800;
/** The view's size until it is measured (and in tests, which lay nothing out). */
const FALLBACK_HEIGHT = 600;
const FALLBACK_WIDTH = 700;
/** Height changes smaller than this are rounding, not a different row. */
const MEASURE_EPSILON_PX = 0.5;

/** The prefix sums of `heights`: n + 1 offsets, the first 0, the last the total. */
export function layout(heights: ArrayLike<number>): Float64Array {
  const offsets = new Float64Array(heights.length + 1);
  for (let i = 0; i < heights.length; i++) offsets[i + 1] = offsets[i] + heights[i];
  return offsets;
}

/** The rows `[first, last)` that overlap the band from `top` to `bottom`
 *  pixels, found by binary search in `offsets` (so opening or scrolling a
 *  long list costs the same as a short one). */
export function visibleRange(offsets: Float64Array, top: number, bottom: number): [number, number] {
  const n = offsets.length - 1;
  if (n <= 0) return [0, 0];
  // The last row whose top is at or above `top`.
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid] <= top) lo = mid;
    else hi = mid - 1;
  }
  const first = lo;
  // The first row whose top is at or below `bottom`: everything before it is in the band.
  lo = first;
  hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid] < bottom) lo = mid + 1;
    else hi = mid;
  }
  return [first, Math.max(first + 1, lo)];
}

export interface VirtualMessagesProps<T> {
  items: readonly T[];
  /** A row's height in pixels before it has been shown, for a view `width` wide. */
  estimateHeight: (item: T, width: number) => number;
  renderItem: (item: T, index: number) => ComponentChildren;
  /** The list's accessible name. */
  label: string;
}

export function VirtualMessages<T>(props: VirtualMessagesProps<T>) {
  const { items, estimateHeight, renderItem } = props;
  const viewport = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [size, setSize] = useState({ height: FALLBACK_HEIGHT, width: FALLBACK_WIDTH });
  const measured = useRef(new Map<number, number>());
  const [measurements, setMeasurements] = useState(0);
  const anchor = useRef<{ index: number; offset: number } | null>(null);

  useEffect(() => {
    const element = viewport.current;
    if (!element) return;
    const measure = () =>
      setSize((old) => {
        const next = { height: element.clientHeight || FALLBACK_HEIGHT, width: element.clientWidth || FALLBACK_WIDTH };
        if (next.height === old.height && next.width === old.width) return old;
        // Text rewraps at another width: every height measured is stale.
        if (Math.abs(next.width - old.width) > 1) measured.current.clear();
        return next;
      });
    measure();
    const observer = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(measure);
    observer?.observe(element);
    return () => observer?.disconnect();
  }, []);

  const offsets = useMemo(() => {
    const heights = new Float64Array(items.length);
    for (let i = 0; i < items.length; i++) heights[i] = measured.current.get(i) ?? estimateHeight(items[i], size.width);
    return layout(heights);
    // `measurements` counts changes to `measured`, which is a ref.
  }, [items, size.width, measurements, estimateHeight]);

  const [first, last] = visibleRange(offsets, scrollTop - OVERSCAN_PX, scrollTop + size.height + OVERSCAN_PX);

  // After each render, before paint: put the anchor back where it stood, then
  // measure the rows in the page and re-lay out if any differ from the model.
  useLayoutEffect(() => {
    const element = viewport.current;
    if (!element) return;
    const rows = element.querySelectorAll<HTMLElement>(":scope > .vm-row");
    const viewTop = element.getBoundingClientRect().top;
    const held = anchor.current;
    if (held) {
      for (const row of rows) {
        if (Number(row.dataset.index) !== held.index) continue;
        const drift = row.getBoundingClientRect().top - viewTop - held.offset;
        if (Math.abs(drift) >= 1) element.scrollTop += drift;
        break;
      }
    }
    let changed = false;
    for (const row of rows) {
      const height = row.getBoundingClientRect().height;
      const index = Number(row.dataset.index);
      if (height > 0 && Math.abs((measured.current.get(index) ?? -1) - height) > MEASURE_EPSILON_PX) {
        measured.current.set(index, height);
        changed = true;
      }
    }
    if (changed) setMeasurements((m) => m + 1);
  });

  /** Notes which row is at the top of the view and where, then renders the
   *  window for the new position. */
  const onScroll = () => {
    const element = viewport.current;
    if (!element) return;
    const viewTop = element.getBoundingClientRect().top;
    anchor.current = null;
    for (const row of element.querySelectorAll<HTMLElement>(":scope > .vm-row")) {
      const box = row.getBoundingClientRect();
      if (box.bottom > viewTop) {
        anchor.current = { index: Number(row.dataset.index), offset: box.top - viewTop };
        break;
      }
    }
    setScrollTop(element.scrollTop);
  };

  return (
    <div class="vm" ref={viewport} tabIndex={0} role="list" aria-label={props.label} data-testid="messages" onScroll={onScroll}>
      <div class="vm-spacer" style={{ height: `${offsets[first]}px` }} aria-hidden="true" />
      {items.slice(first, last).map((item, offset) => {
        const index = first + offset;
        return (
          <div key={index} class="vm-row" role="listitem" aria-posinset={index + 1} aria-setsize={items.length} data-index={index}>
            {renderItem(item, index)}
          </div>
        );
      })}
      <div class="vm-spacer" style={{ height: `${offsets[items.length] - offsets[last]}px` }} aria-hidden="true" />
    </div>
  );
}
