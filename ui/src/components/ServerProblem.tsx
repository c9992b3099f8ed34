// A marker on a row whose central version the Noesis server cannot read (a
// value outside its vocabulary typed in psql, a provenance without its
// reason): one such row stops the server's whole listing and its start-up, so
// the row's own view says so, with what is wrong and how to fix it.
import { api } from "../lib/api";
import { useAsync } from "../lib/useAsync";
import { useCacheRevision } from "../lib/useCacheRevision";

/** Nothing, or the reason the server cannot read `table` row `id`. */
export function ServerCannotRead({ table, id, what }: { table: string; id: string; what: string }) {
  const revision = useCacheRevision();
  const [problem] = useAsync(async () => api.centralProblem(table, id), [table, id, revision]);
  if (problem.state !== "ready" || !problem.value) return null;
  return <ServerCannotReadReason reason={problem.value} what={what} />;
}

/** The marker itself, for a list that looked its rows' problems up at once. */
export function ServerCannotReadReason({ reason, what }: { reason: string; what: string }) {
  return (
    <p class="server-problem" role="alert" data-testid="server-cannot-read">
      <strong>The Noesis server cannot read this {what}</strong> ({reason}). Until it is corrected, the server
      cannot list any {what}s. Edit it here with an allowed value, or correct it on the server.
    </p>
  );
}

/** Why the server cannot read each row of `table` that it cannot read, by id:
 * one call for a whole list instead of one per row. */
export function useServerUnreadable(table: string): Map<string, string> {
  const revision = useCacheRevision();
  const [rows] = useAsync(async () => api.listUnreadableCentral(), [revision]);
  if (rows.state !== "ready") return new Map();
  return new Map(rows.value.filter((r) => r.table === table).map((r) => [r.row_id, r.reason]));
}
