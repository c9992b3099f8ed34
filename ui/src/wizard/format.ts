// Numbers the wizard shows: row counts, rates and time left.

/** 12,345 */
export function count(n: number | null | undefined): string {
  return (n ?? 0).toLocaleString("en-US");
}

/** "45 s", "3 min 20 s", "1 h 5 min"; "—" when unknown. */
export function duration(secs: number | null | undefined): string {
  if (secs == null || !Number.isFinite(secs)) return "—";
  const s = Math.max(0, Math.round(secs));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** Percentage 0…100 of done over total (100 when there is nothing to do). */
export function percent(done: number | null | undefined, total: number | null | undefined): number {
  if (!total) return 100;
  return Math.min(100, Math.max(0, Math.round(((done ?? 0) / total) * 100)));
}
