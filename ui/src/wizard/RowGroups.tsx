// One table of legacy rows grouped by table and by why they were set apart
// (changed on the way, or rejected), as the report shows both: each group
// with its reason, its count and its ids whole (IdList).
import type { ComponentChildren } from "preact";
import type { Loadable } from "../lib/useAsync";
import { count } from "./format";
import { IdList } from "./IdList";

/** One group, whatever its kind. */
export interface RowGroup {
  table: string;
  /** Why these rows are listed, in words. */
  why: string;
  rows: number;
  ids: string[];
  /** The group's `data-change`, when it is a kind of change. */
  change?: string;
}

export function RowGroups(props: {
  groups: Loadable<RowGroup[]>;
  /** What the loading, empty and filled states say. */
  loading: string;
  empty: string;
  intro: ComponentChildren;
  /** The heading of the reason column. */
  whyHeading: string;
  /** The server table that keeps every row of the groups. */
  keptIn: string;
  rowTestId?: string;
}) {
  const { groups } = props;
  if (groups.state === "loading") return <p class="muted small">{props.loading}</p>;
  if (groups.state === "error") return <p class="wz-bad small">{groups.message}</p>;
  if (groups.value.length === 0) return <p class="muted small">{props.empty}</p>;
  return (
    <>
      <p>{props.intro}</p>
      <table class="wz-table">
        <thead>
          <tr>
            <th>Table</th>
            <th>{props.whyHeading}</th>
            <th class="num">Rows</th>
            <th>Ids</th>
          </tr>
        </thead>
        <tbody>
          {groups.value.map((g) => (
            <tr key={g.table + g.why} data-testid={props.rowTestId} data-change={g.change}>
              <td>{g.table}</td>
              <td>{g.why}</td>
              <td class="num">{count(g.rows)}</td>
              <td>
                <IdList ids={g.ids} more={g.rows - g.ids.length} keptIn={props.keptIn} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
