/**
 * Where leases live. `LeaseStore` is the port the lease manager uses; `DynamoLeaseStore` is
 * the adapter for the DynamoDB lease table (partition key `leaseKey`, no sort key).
 */
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '@eventlake/common';
import type { SequenceRange } from '../contracts.js';
import type { Lease } from './lease.js';

/** The fields a lease write may change; the counter always moves by one. */
export type LeaseChanges = Partial<Pick<Lease, 'leaseOwner' | 'checkpoint' | 'checkpointSubSequenceNumber' | 'checkpointArrivalMs' | 'pending'>>;

/** Storage of leases with the conditional writes KCL's lease coordination rests on. */
export interface LeaseStore {
  /** Every lease, strongly consistent. */
  list(): Promise<Lease[]>;
  /** Creates the lease unless one exists for that shard; false when it existed. */
  create(lease: Lease): Promise<boolean>;
  /**
   * Applies `changes` and increments the counter, only if the stored counter is still
   * `expectedCounter`; returns the lease as written, or null when the condition failed.
   */
  update(leaseKey: string, expectedCounter: number, changes: LeaseChanges): Promise<Lease | null>;
}

type Item = Record<string, unknown>;

function toLease(item: Item): Lease {
  const pending = item.pendingFirst
    ? { first: String(item.pendingFirst), last: String(item.pendingLast), lastSubRecords: Number(item.pendingLastSubRecords) }
    : null;
  return {
    leaseKey: String(item.leaseKey),
    leaseOwner: typeof item.leaseOwner === 'string' ? item.leaseOwner : null,
    leaseCounter: Number(item.leaseCounter ?? 0),
    checkpoint: String(item.checkpoint),
    checkpointSubSequenceNumber: Number(item.checkpointSubSequenceNumber ?? 0),
    checkpointArrivalMs: typeof item.checkpointArrivalMs === 'number' ? item.checkpointArrivalMs : null,
    pending,
    parentShardIds: Array.isArray(item.parentShardIds) ? item.parentShardIds.map(String) : [],
  };
}

function toItem(lease: Lease): Item {
  const item: Item = {
    leaseKey: lease.leaseKey,
    leaseCounter: lease.leaseCounter,
    checkpoint: lease.checkpoint,
    checkpointSubSequenceNumber: lease.checkpointSubSequenceNumber,
    parentShardIds: lease.parentShardIds,
  };
  if (lease.leaseOwner !== null) item.leaseOwner = lease.leaseOwner;
  if (lease.checkpointArrivalMs !== null) item.checkpointArrivalMs = lease.checkpointArrivalMs;
  Object.assign(item, pendingAttributes(lease.pending));
  return item;
}

function pendingAttributes(p: SequenceRange | null): Item {
  return p ? { pendingFirst: p.first, pendingLast: p.last, pendingLastSubRecords: p.lastSubRecords } : {};
}

/**
 * How long one lease-table call may take, its retries included, before it is abandoned: a
 * third of the lease duration, the renewer's period. A call that hangs (a connection that
 * never answers) then fails in time for the next renewal pass, instead of holding the pass,
 * and with it the renewal of every lease of the worker, until the lease duration is gone.
 */
export function leaseCallTimeoutMs(leaseDurationMs: number): number {
  return Math.max(1, Math.floor(leaseDurationMs / 3));
}

/** The DynamoDB lease table. */
export class DynamoLeaseStore implements LeaseStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly callTimeoutMs: number | undefined;

  /** `callTimeoutMs`: each call, retries included, is abandoned after this long (none when absent). */
  constructor(
    ddb: DynamoDBClient,
    private readonly tableName: string,
    opts: { callTimeoutMs?: number } = {},
  ) {
    this.doc = DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } });
    this.callTimeoutMs = opts.callTimeoutMs;
  }

  private options(): { abortSignal?: AbortSignal } {
    return this.callTimeoutMs === undefined ? {} : { abortSignal: AbortSignal.timeout(this.callTimeoutMs) };
  }

  async list(): Promise<Lease[]> {
    const out: Lease[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(new ScanCommand({ TableName: this.tableName, ConsistentRead: true, ExclusiveStartKey: start }), this.options());
      for (const item of page.Items ?? []) out.push(toLease(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return out.sort((a, b) => a.leaseKey.localeCompare(b.leaseKey));
  }

  async create(lease: Lease): Promise<boolean> {
    try {
      await this.doc.send(new PutCommand({ TableName: this.tableName, Item: toItem(lease), ConditionExpression: 'attribute_not_exists(leaseKey)' }), this.options());
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async update(leaseKey: string, expectedCounter: number, changes: LeaseChanges): Promise<Lease | null> {
    const set: string[] = ['leaseCounter = :next'];
    const remove: string[] = [];
    const values: Record<string, unknown> = { ':expected': expectedCounter, ':next': expectedCounter + 1 };
    const assign = (name: string, value: unknown): void => {
      if (value === null || value === undefined) {
        remove.push(name);
      } else {
        set.push(`${name} = :${name}`);
        values[`:${name}`] = value;
      }
    };
    if ('leaseOwner' in changes) assign('leaseOwner', changes.leaseOwner);
    if ('checkpoint' in changes) assign('checkpoint', changes.checkpoint);
    if ('checkpointSubSequenceNumber' in changes) assign('checkpointSubSequenceNumber', changes.checkpointSubSequenceNumber);
    if ('checkpointArrivalMs' in changes) assign('checkpointArrivalMs', changes.checkpointArrivalMs);
    if ('pending' in changes) {
      const p = changes.pending ?? null;
      assign('pendingFirst', p?.first);
      assign('pendingLast', p?.last);
      assign('pendingLastSubRecords', p?.lastSubRecords);
    }
    try {
      const res = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { leaseKey },
          UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ConditionExpression: 'leaseCounter = :expected',
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
        this.options(),
      );
      return toLease(res.Attributes ?? {});
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return null;
      throw err;
    }
  }
}

/**
 * Creates the lease table (partition key `leaseKey`, on demand) unless it exists, then waits
 * until it is ACTIVE. Idempotent, for the local dev tools and tests; in AWS the infra creates it.
 */
export async function ensureLeaseTable(ddb: DynamoDBClient, tableName: string, timeoutMs = 30_000): Promise<void> {
  try {
    await ddb.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) {
      throw new AppError('ERR_LEASE_TABLE_NOT_ACTIVE', `lease table ${tableName} is not ACTIVE after ${timeoutMs} ms (${Table?.TableStatus})`, {
        hint: 'check the table in DynamoDB, or the DYNAMODB_ENDPOINT emulator',
      });
    }
    await sleep(50);
  }
}
