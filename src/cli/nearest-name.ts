// The name nearest to a mistyped one, for "did you mean" messages (an unknown command, an unknown
// key of the config file).

/** Edit distance (optimal string alignment: insertions, deletions, substitutions, swaps). */
export function editDistance(a: string, b: string): number {
  // Rows i − 2, i − 1 and i of the table; every index read is below the row's length.
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const up = previous[j] ?? 0;
      const left = row[j - 1] ?? 0;
      const diagonal = previous[j - 1] ?? 0;
      let best = Math.min(up + 1, left + 1, diagonal + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (beforePrevious[j - 2] ?? 0) + 1);
      }
      row.push(best);
    }
    beforePrevious = previous;
    previous = row;
  }
  return previous[b.length] ?? 0;
}

/** The name nearest to `word` when it is close (a third of the name's letters wrong at most). */
export function nearestName(word: string, names: readonly string[]): string | undefined {
  let nearest: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = editDistance(word.toLowerCase(), name);
    if (distance > Math.max(1, Math.floor(name.length / 3))) continue;
    if (nearest === undefined || distance < nearest.distance) nearest = { name, distance };
  }
  return nearest?.name;
}
