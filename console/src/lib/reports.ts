// The Reports page's first range: this month so far, in UTC days (as the summary counts them).
export function defaultRange(now: Date): { from: string; to: string } {
  const day = now.toISOString().slice(0, 10);
  return { from: `${day.slice(0, 8)}01`, to: day };
}
