// What the mock remembers for tests is bounded on request (`maxRecords`), so a long-running mock does not grow.

/** Drops the oldest records until at most `limit` are left; no limit keeps them all. */
export function keepNewest(records: unknown[], limit: number | undefined): void {
  if (limit !== undefined && records.length > limit) records.splice(0, records.length - limit);
}
