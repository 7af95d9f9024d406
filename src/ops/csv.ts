/** One CSV record with the line it starts on (1 = the header), for messages that name the line. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/**
 * RFC 4180 CSV: fields in double quotes may hold commas, quotes ("") and line breaks; CRLF or LF; a UTF-8 BOM is
 * dropped. Blank lines are skipped (and still counted). Throws with the line of an unterminated quote.
 */
export function parseCsv(text: string): CsvRecord[] {
  const src = text.startsWith('\ufeff') ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let start = 1;
  let quoted = false;
  let any = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (quoted) {
      if (c === '"' && src[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else { if (c === '\n') line++; field += c; }
      continue;
    }
    if (c === '"' && field === '') { quoted = true; any = true; }
    else if (c === ',') { fields.push(field); field = ''; any = true; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i++;
      fields.push(field);
      if (any || fields.some((f) => f !== '')) records.push({ line: start, fields });
      fields = []; field = ''; any = false;
      line++;
      start = line;
    } else { field += c; any = true; }
  }
  if (quoted) throw new Error(`line ${start}: a quoted field is not closed`);
  fields.push(field);
  if (any || fields.some((f) => f !== '')) records.push({ line: start, fields });
  return records;
}
