/** An in-memory LeaseStore with DynamoDB's conditional-write semantics, for unit tests. */
import type { Lease } from '../../../src/consumer/lease.js';
import type { LeaseChanges, LeaseStore } from '../../../src/consumer/lease-store.js';

export class MemoryLeaseStore implements LeaseStore {
  readonly rows = new Map<string, Lease>();
  writes = 0;

  list(): Promise<Lease[]> {
    return Promise.resolve([...this.rows.values()].map((l) => structuredClone(l)).sort((a, b) => a.leaseKey.localeCompare(b.leaseKey)));
  }

  create(lease: Lease): Promise<boolean> {
    if (this.rows.has(lease.leaseKey)) return Promise.resolve(false);
    this.rows.set(lease.leaseKey, structuredClone(lease));
    return Promise.resolve(true);
  }

  update(leaseKey: string, expectedCounter: number, changes: LeaseChanges): Promise<Lease | null> {
    const row = this.rows.get(leaseKey);
    if (!row || row.leaseCounter !== expectedCounter) return Promise.resolve(null);
    this.writes++;
    const next: Lease = { ...row, ...structuredClone(changes), leaseCounter: expectedCounter + 1 };
    this.rows.set(leaseKey, next);
    return Promise.resolve(structuredClone(next));
  }
}
