import { afterEach, describe, expect, it, vi } from "vitest";
import { act, render, screen } from "@testing-library/preact";

vi.mock("./api", async () => ({ onCacheChanged: (await import("./cacheEvents.testing")).onCacheChanged }));

import { fireCacheChanged } from "./cacheEvents.testing";
import { CACHE_REFRESH_DEBOUNCE_MS, CACHE_REFRESH_MAX_WAIT_MS, useCacheRevision } from "./useCacheRevision";

function Probe() {
  return <span data-testid="revision">{useCacheRevision()}</span>;
}
const shown = () => screen.getByTestId("revision").textContent;

afterEach(() => vi.useRealTimers());

describe("useCacheRevision", () => {
  it("moves once after a burst of changes, so a large pull reloads a view once", () => {
    vi.useFakeTimers();
    render(<Probe />);
    expect(shown()).toBe("0");
    act(() => {
      for (let i = 0; i < 5; i++) fireCacheChanged();
    });
    expect(shown()).toBe("0");
    act(() => {
      vi.advanceTimersByTime(CACHE_REFRESH_DEBOUNCE_MS);
    });
    expect(shown()).toBe("1");
    act(() => {
      vi.advanceTimersByTime(10 * CACHE_REFRESH_MAX_WAIT_MS);
    });
    expect(shown()).toBe("1");
    act(() => fireCacheChanged());
    act(() => {
      vi.advanceTimersByTime(CACHE_REFRESH_DEBOUNCE_MS);
    });
    expect(shown()).toBe("2");
  });

  it("still moves while changes keep coming, so a long pull shows progress", () => {
    vi.useFakeTimers();
    render(<Probe />);
    act(() => {
      for (let t = 0; t < CACHE_REFRESH_MAX_WAIT_MS; t += 100) {
        fireCacheChanged();
        vi.advanceTimersByTime(100);
      }
    });
    expect(shown()).toBe("1");
  });

  it("stops listening when the view closes", () => {
    vi.useFakeTimers();
    const { unmount } = render(<Probe />);
    unmount();
    fireCacheChanged();
    expect(vi.getTimerCount()).toBe(0);
  });
});
