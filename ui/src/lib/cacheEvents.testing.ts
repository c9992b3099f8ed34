// For tests: a stand-in for `onCacheChanged` in mocks of lib/api, and a way
// to send `cache://changed` as the shell would.
const handlers = new Set<() => void>();

/** Replaces `onCacheChanged` in a `vi.mock("../lib/api")` factory. */
export function onCacheChanged(handler: () => void): () => void {
  handlers.add(handler);
  return () => handlers.delete(handler);
}

/** Sends one `cache://changed` to every subscribed view. */
export function fireCacheChanged(): void {
  for (const handler of [...handlers]) handler();
}
