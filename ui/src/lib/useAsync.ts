// Loading a value with its three visible states: loading, error, ready.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { messageOf } from "./api";

export type Loadable<T> =
  | { state: "loading" }
  | { state: "error"; message: string }
  | { state: "ready"; value: T };

/** Runs `load` now and whenever `deps` change; `reload` runs it again. Results
 *  of superseded runs are dropped, so fast typing never shows stale data. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): [Loadable<T>, () => void, (v: T) => void] {
  const [value, setValue] = useState<Loadable<T>>({ state: "loading" });
  const run = useRef(0);
  const reload = useCallback(() => {
    const id = ++run.current;
    setValue((v) => (v.state === "ready" ? v : { state: "loading" }));
    load().then(
      (v) => id === run.current && setValue({ state: "ready", value: v }),
      (e) => id === run.current && setValue({ state: "error", message: messageOf(e) }),
    );
  }, deps);
  useEffect(reload, [reload]);
  const set = useCallback((v: T) => setValue({ state: "ready", value: v }), []);
  return [value, reload, set];
}

/** `value`, settled for `ms` milliseconds (search as you type without a query per key). */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}
