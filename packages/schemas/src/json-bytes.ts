/**
 * JSON text written straight into bytes, for the API's hot path.
 *
 * Why by hand: the API writes every accepted event as a Kinesis record, which is UTF-8
 * bytes. Building each record as a JavaScript string (a piece per field, joined, then
 * encoded) allocates intermediate strings and copies for every event, and the collector's
 * share of a batched event's CPU follows them (docs/performance.md). Here everything goes into one
 * buffer per request: text that repeats (field names, the envelope) as bytes prepared once,
 * numbers and plain ASCII strings character by character (a short loop, cheaper than a
 * native call per piece), anything else through `JSON.stringify`, encoded once. No JSON
 * library writes into a caller's buffer from parsed values with `JSON.stringify`'s exact
 * output, which the processor and tests rely on.
 */
export class JsonBytes {
  private buf: Buffer;
  private at = 0;

  constructor(capacity = 4096) {
    this.buf = Buffer.allocUnsafe(Math.max(64, capacity));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.at;
  }

  /** Bytes the buffer holds, written or not. */
  get capacity(): number {
    return this.buf.length;
  }

  /** Makes room for `n` more bytes. */
  private reserve(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }

  /** Writes text that is ASCII and needs no escaping: punctuation, field names, numbers, ids, timestamps. */
  ascii(text: string): void {
    const n = text.length;
    this.reserve(n);
    const b = this.buf;
    let p = this.at;
    for (let i = 0; i < n; i++) b[p++] = text.charCodeAt(i);
    this.at = p;
  }

  /** Writes bytes prepared once (text that repeats: field names, the envelope's fixed parts). */
  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.at);
    this.at += bytes.length;
  }

  /** Writes one byte of ASCII punctuation. */
  char(code: number): void {
    this.reserve(1);
    this.buf[this.at++] = code;
  }

  /**
   * Writes a string as JSON writes it: quoted, escaped, UTF-8. Returns false when the string
   * is not well-formed UTF-16 (it holds a lone surrogate, written as JSON writes it: escaped),
   * found at no cost for plain ASCII.
   */
  string(value: string): boolean {
    const n = value.length;
    this.reserve(n + 2);
    const b = this.buf;
    let p = this.at;
    b[p++] = 34;
    for (let i = 0; i < n; i++) {
      const c = value.charCodeAt(i);
      // Quotes, backslashes, control characters and anything past ASCII (which UTF-8
      // encodes in several bytes, and whose lone surrogates JSON escapes) go the slow way.
      if (c < 0x20 || c === 34 || c === 92 || c > 0x7f) {
        this.json(JSON.stringify(value));
        return value.isWellFormed();
      }
      b[p++] = c;
    }
    b[p++] = 34;
    this.at = p;
    return true;
  }

  /** Writes JSON text as it is (the output of `JSON.stringify`), encoded as UTF-8. */
  json(text: string): void {
    this.reserve(text.length * 3);
    this.at += this.buf.write(text, this.at, 'utf8');
  }

  /** Drops what was written after `length` (a record abandoned half way). */
  rewind(length: number): void {
    if (length < this.at) this.at = length;
  }

  /** The bytes written, as a view (valid until the next write). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.at);
  }

  /** The text written from `start`, decoded (for tests and single records). */
  text(start = 0): string {
    return this.buf.toString('utf8', start, this.at);
  }
}
