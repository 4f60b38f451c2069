/** Prints rows as left-aligned columns separated by two spaces (the first row is the header). */
export function printTable(rows: string[][], out: (line: string) => void = (l) => process.stdout.write(l)): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows)
    out(
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd() + '\n',
    );
}
