/**
 * API keys are configured as SHA-256 digests, never in clear, so a leaked task definition
 * or log line does not leak a usable key.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '@eventlake/common';

/** One accepted key: its digest and the name used in logs and rate limits. */
export interface ApiKeyEntry {
  name: string;
  digest: Buffer;
}

/** Lowercase hex SHA-256 of a key, the form API_KEY_HASHES holds. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Parses API_KEY_HASHES (`[name:]<64 hex>` entries, comma-separated). */
export function parseApiKeyHashes(value: string): ApiKeyEntry[] {
  const entries: ApiKeyEntry[] = [];
  const problems: string[] = [];
  for (const raw of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const colon = raw.lastIndexOf(':');
    const hex = colon === -1 ? raw : raw.slice(colon + 1);
    if (!/^[0-9a-f]{64}$/.test(hex)) {
      problems.push(`"${raw.length > 80 ? `${raw.slice(0, 80)}…` : raw}" is not [name:]<64 lowercase hex>`);
      continue;
    }
    const name = colon === -1 ? `key-${hex.slice(0, 8)}` : raw.slice(0, colon);
    entries.push({ name, digest: Buffer.from(hex, 'hex') });
  }
  if (problems.length > 0 || entries.length === 0) {
    throw new AppError('ERR_CONFIG', `invalid configuration:\n  API_KEY_HASHES: ${problems.join('; ') || 'no key'}`, {
      hint: 'generate an entry with: printf %s "$KEY" | sha256sum',
      details: problems,
    });
  }
  return entries;
}

/** Tells which configured key a presented key is, if any. */
export interface ApiKeyCheck {
  /** The name of the key, or undefined when it is not accepted. */
  verify(presented: string): string | undefined;
  /** The name of a key this process accepted before (a map lookup, no hashing); undefined otherwise. */
  remembered(presented: string): string | undefined;
}

/**
 * Checks presented keys against the configured digests. A key that was accepted once is
 * remembered by its text, so a client's every later request costs a map lookup instead of a
 * SHA-256 and one comparison per entry. Only accepted keys are remembered: the map holds at
 * most one key per configured digest, and any other key always takes the full check.
 */
export class ApiKeyVerifier implements ApiKeyCheck {
  private readonly accepted = new Map<string, string>();

  constructor(private readonly entries: readonly ApiKeyEntry[]) {}

  /** How many accepted keys are remembered; never more than there are entries. */
  get rememberedCount(): number {
    return this.accepted.size;
  }

  /** The name of a key accepted before, without checking anything else; undefined otherwise. */
  remembered(presented: string): string | undefined {
    return this.accepted.get(presented);
  }

  /** The name of the key, or undefined when it is not accepted. */
  verify(presented: string): string | undefined {
    const known = this.accepted.get(presented);
    if (known !== undefined) return known;
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    let match: string | undefined;
    // Every entry is compared, in constant time, so timing reveals neither which entry
    // matched nor how much of a digest did.
    for (const entry of this.entries) {
      if (timingSafeEqual(digest, entry.digest) && match === undefined) match = entry.name;
    }
    // Two texts with one SHA-256 digest are not a practical concern, so this bounds the map
    // by the number of entries; the check is kept so the bound never rests on it.
    if (match !== undefined && this.accepted.size < this.entries.length) this.accepted.set(presented, match);
    return match;
  }
}

/** The key a request presents: `x-api-key`, else `Authorization: Bearer <key>`. */
export function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const direct = headers['x-api-key'];
  if (typeof direct === 'string' && direct.length > 0) return direct;
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  return undefined;
}
