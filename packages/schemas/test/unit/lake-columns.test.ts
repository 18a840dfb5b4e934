import t from 'tap';
import {
  EVENT_TYPES,
  PARTITION_COLUMNS,
  glueType,
  jsonSchemas,
  lakeColumns,
  recordSchemas,
  rowSchemas,
  duckdbSqlType,
  type LakeColumn,
  type LakeType,
} from '../../src/index.js';

function column(cols: LakeColumn[], name: string): LakeColumn {
  const c = cols.find((x) => x.name === name);
  if (!c) throw new Error(`no column ${name}`);
  return c;
}

t.test('every field of the stream record is a lake column, except the per-table constant type', async (t) => {
  for (const type of EVENT_TYPES) {
    const names = new Set(lakeColumns(type).map((c) => c.name));
    for (const field of Object.keys(recordSchemas[type].properties)) {
      if (field === 'type') t.notOk(names.has(field), `${type}: type is implied by the table`);
      else t.ok(names.has(field), `${type}.${field} is a column`);
    }
    t.same([...names].sort(), Object.keys(rowSchemas[type].properties).filter((f) => f !== 'type').sort(), `${type}: columns are exactly the row schema`);
  }
});

t.test('storage types: money is DECIMAL(18,4), times are timestamps, free-form data is JSON text', async (t) => {
  const txn = lakeColumns('transaction');
  t.equal(glueType(column(txn, 'amount').type), 'decimal(18,4)');
  t.equal(glueType(column(txn, 'items_total').type), 'decimal(18,4)');
  t.equal(glueType(column(txn, 'timestamp').type), 'timestamp');
  t.equal(glueType(column(txn, 'received_at').type), 'timestamp');
  t.equal(glueType(column(txn, 'processed_at').type), 'timestamp');
  t.equal(glueType(column(txn, 'properties').type), 'string');
  t.equal(column(txn, 'properties').type.kind, 'json');
  t.equal(glueType(column(txn, 'order_id').type), 'string', 'ids are strings whatever the client sent');
  t.equal(
    glueType(column(txn, 'items').type),
    'array<struct<item_id:bigint,sku:string,name:string,quantity:bigint,price:decimal(18,4),category:string>>',
  );
  const clicks = lakeColumns('clickstream');
  t.equal(glueType(column(clicks, 'price').type), 'decimal(18,4)');
  t.equal(glueType(column(clicks, 'item_id').type), 'bigint');
  const tel = lakeColumns('telemetry');
  t.equal(glueType(column(tel, 'anomalies').type), 'array<string>');
  t.equal(glueType(column(tel, 'latitude').type), 'double');
});

t.test('nullability follows the schema: required fields are NOT NULL, optional or nullable ones are not', async (t) => {
  const clicks = lakeColumns('clickstream');
  t.equal(column(clicks, 'event_id').nullable, false);
  t.equal(column(clicks, 'user_id').nullable, false);
  t.equal(column(clicks, 'category').nullable, false);
  t.equal(column(clicks, 'item_id').nullable, true);
  t.equal(column(clicks, 'session_id').nullable, true);
});

t.test('partition columns are dt then hour, strings', async (t) => {
  t.same(PARTITION_COLUMNS.map((c) => [c.name, glueType(c.type)]), [['dt', 'string'], ['hour', 'string']]);
});

t.test('JSON Schema export is plain JSON with ids, no TypeBox internals', async (t) => {
  const all = jsonSchemas();
  for (const type of EVENT_TYPES) {
    const s = all[type].input;
    t.equal(s.$id, `${type}-input`);
    t.equal(s.additionalProperties, false);
    t.same(JSON.parse(JSON.stringify(s)), s, 'round-trips through JSON unchanged');
    t.ok(Object.getOwnPropertySymbols(s).length === 0, 'no symbol keys');
  }
});

t.test('every lake type maps to one DuckDB type, timestamps to the UTC-adjusted one', async (t) => {
  const cases: [LakeType, string][] = [
    [{ kind: 'string' }, 'VARCHAR'],
    [{ kind: 'json' }, 'VARCHAR'],
    [{ kind: 'int' }, 'INTEGER'],
    [{ kind: 'bigint' }, 'BIGINT'],
    [{ kind: 'double' }, 'DOUBLE'],
    [{ kind: 'boolean' }, 'BOOLEAN'],
    [{ kind: 'timestamp' }, 'TIMESTAMPTZ'],
    [{ kind: 'decimal', precision: 18, scale: 4 }, 'DECIMAL(18,4)'],
    [{ kind: 'list', element: { kind: 'string' } }, 'VARCHAR[]'],
    [{ kind: 'struct', fields: [{ name: 'a b', type: { kind: 'bigint' }, nullable: true }] }, 'STRUCT("a b" BIGINT)'],
  ];
  for (const [type, sql] of cases) t.equal(duckdbSqlType(type), sql, type.kind);
});
