/**
 * Pads every Markdown table in a text so its columns line up, as the formatter (Biome) lays
 * them out: the report is then readable as plain text and passes `npm run lint` as written.
 * @module
 */

export function alignTables(markdown: string): string {
  const lines = markdown.split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; ) {
    if (!isRow(lines[i])) {
      out.push(lines[i] as string);
      i++;
      continue;
    }
    const block: string[][] = [];
    while (i < lines.length && isRow(lines[i])) block.push(cells(lines[i++] as string));
    out.push(...align(block));
  }
  return out.join("\n");
}

function isRow(line: string | undefined): boolean {
  return line?.startsWith("|") === true;
}

function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\||\|$/g, "")
    .split("|")
    .map((cell) => cell.trim());
}

function align(rows: string[][]): string[] {
  const isDivider = (row: string[]) => row.every((cell) => /^-+$/.test(cell));
  const columns = Math.max(...rows.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, c) =>
    Math.max(3, ...rows.filter((row) => !isDivider(row)).map((row) => width(row[c] ?? ""))),
  );
  return rows.map((row) => {
    const padded = widths.map((w, c) =>
      isDivider(row) ? "-".repeat(w) : (row[c] ?? "") + " ".repeat(w - width(row[c] ?? "")),
    );
    return `| ${padded.join(" | ")} |`;
  });
}

/** Characters, not UTF-16 units: "×" and "≥" are one each. */
function width(text: string): number {
  return [...text].length;
}
