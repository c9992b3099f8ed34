// Keeping views current: the local cache changes underneath the window when
// the sync agent pulls another device's edits or another program writes to
// it, and the shell says so with `cache://changed`. A view puts the revision
// this hook returns among the dependencies of what it loads (`useAsync` deps,
// a `useCallback`), so it reloads in place: the old data stays on screen
// while the new loads, and the user's filters, selection and scroll stay put.
import { useEffect, useRef, useState } from "preact/hooks";
import { onCacheChanged } from "./api";

/** Quiet time after the last `cache://changed` before views reload: a large
 *  pull commits batch after batch, and one reload for the burst is enough. */
export const CACHE_REFRESH_DEBOUNCE_MS = 250;
/** The longest a reload waits while changes keep coming, so a long pull still
 *  shows progress about once a second. */
export const CACHE_REFRESH_MAX_WAIT_MS = 1000;

/** A number that grows by one after each burst of `cache://changed` events
 *  (0 until the first): put it in a load's dependencies to reload on it. */
export function useCacheRevision(): number {
  const [revision, setRevision] = useState(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const firstAt = useRef(0);
  useEffect(() => {
    const bump = () => {
      timer.current = null;
      setRevision((r) => r + 1);
    };
    const unlisten = onCacheChanged(() => {
      const now = Date.now();
      if (timer.current === null) firstAt.current = now;
      else clearTimeout(timer.current);
      const wait = Math.min(CACHE_REFRESH_DEBOUNCE_MS, Math.max(0, firstAt.current + CACHE_REFRESH_MAX_WAIT_MS - now));
      timer.current = setTimeout(bump, wait);
    });
    return () => {
      unlisten();
      if (timer.current !== null) clearTimeout(timer.current);
    };
  }, []);
  return revision;
}

/** `revision`, held still while `frozen` is true and caught up once it is
 *  false again: a form being edited is not reloaded under the user's hands. */
export function useHeldRevision(revision: number, frozen: boolean): number {
  const held = useRef(revision);
  if (!frozen) held.current = revision;
  return held.current;
}
