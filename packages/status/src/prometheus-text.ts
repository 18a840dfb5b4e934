/**
 * Reads the Prometheus text exposition format (what GET /metrics of the API and of each
 * worker returns) into plain samples. Only what prom-client writes is needed: HELP and TYPE
 * comments, `name{label="value",…} value` lines, escaped label values, NaN and ±Inf.
 */

/** One sample line: a series name (histograms keep their `_bucket`/`_sum`/`_count` suffix), its labels and value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

function parseValue(text: string): number {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
    case 'NaN':
      return Number.NaN;
    default:
      return Number(text);
  }
}

/** Parses `{a="x",b="y\"z"}` starting at `line[start]` (the `{`); returns the labels and the index after `}`. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } | null {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return { labels, end: i + 1 };
    const name = NAME.exec(line.slice(i));
    if (!name) return null;
    i += name[0].length;
    if (line[i] !== '=' || line[i + 1] !== '"') return null;
    i += 2;
    let value = '';
    for (;;) {
      const c = line[i];
      if (c === undefined) return null;
      if (c === '"') break;
      if (c === '\\') {
        const next = line[i + 1];
        value += next === 'n' ? '\n' : (next ?? '');
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    labels[name[0]] = value;
    i++;
  }
}

/** Every sample of an exposition text; malformed lines are skipped rather than failing the whole scrape. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const name = NAME.exec(line);
    if (!name) continue;
    let i = name[0].length;
    let labels: Record<string, string> = {};
    if (line[i] === '{') {
      const parsed = parseLabels(line, i);
      if (!parsed) continue;
      labels = parsed.labels;
      i = parsed.end;
    }
    // The value, then an optional timestamp that prom-client does not write.
    const [valueText] = line.slice(i).trim().split(/\s+/);
    if (valueText === undefined || valueText === '') continue;
    const value = parseValue(valueText);
    if (Number.isNaN(value) && valueText !== 'NaN') continue;
    samples.push({ name: name[0], labels, value });
  }
  return samples;
}
