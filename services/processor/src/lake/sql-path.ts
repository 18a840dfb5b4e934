/**
 * The SQL path of the lake: record bytes go to DuckDB as NDJSON and are parsed, checked,
 * enriched and encoded there, so a record's fields never become JavaScript values.
 *
 * Everything here is generated from @eventlake/schemas (record schema → read types and
 * checks, lake columns → projection) and from the enrichment tables (category ranges, reading
 * ranges), so a field added to a schema reaches the SQL without a second definition. The
 * check is record-check-sql.ts, the lake values lake-value-sql.ts, the derived columns
 * enrichment-sql.ts and the minute partials minute-partials-sql.ts; this module puts them
 * together per type. A valid record's lake row is the one JavaScript would compute from the
 * parsed record (Math.round for money, ngeohash's cells): test/unit/lake/sql-path-plan.test.ts
 * holds the projection to a JavaScript reference kept under test/, sql-path-values.test.ts the
 * values at their edges and sql-path-check-bounds.test.ts where the check parts from it.
 */
import type { TObject } from '@sinclair/typebox';
import { duckdbSqlType, EVENT_TYPES, lakeColumns, MINUTE_TABLE_DEFS, minutePartialColumns, quoteSqlIdent as q, recordSchemas, type EventType, type MinuteTable } from '@eventlake/schemas';
import { anomaliesSql, enrichmentSql } from './enrichment-sql.js';
import { boundsFitDecimal, lakeValueSql } from './lake-value-sql.js';
import { minutePartialsBody } from './minute-partials-sql.js';
import { recordFieldPlans, type FieldPlan } from './record-check-sql.js';
import { sqlString } from './sql-text.js';

/** How a batch file of record lines (one JSON record per line) is read, checked and projected. */
export interface SqlPathPlan {
  /** `columns` of read_json (with `records = true`): every field of the planned types, plus type and event_id. */
  recordColumns: string;
  /** Per SQL-path type, the check every row of that type must pass (the schema, and the values fit the lake). */
  okExpression: Record<string, string>;
  /** Per SQL-path type, the lake columns as `expr AS name` over the read record `r` (processed_at templated). */
  projection(type: EventType, processedAtMicros: number): string;
  /**
   * The partial aggregates of a minute table over `rows` (a relation of staged rows of the
   * table's source type, already checked and deduplicated, with `_i`, the row number): one
   * row per window and keys, with the partial columns of `minutePartialColumns(table)` in
   * order and type, in no particular row order. Values are the lake's (the same conversions
   * as the projection), so they add up to a recount from the event tables.
   */
  minutePartials(table: MinuteTable, rows: string, processedAtMicros: number): string;
  /** The telemetry `anomaly` flag as boolean SQL over the read record `r` (as the projection computes it); false when telemetry is not planned. */
  telemetryAnomaly: string;
}

/**
 * Builds the SQL of the SQL path from the schemas. A field that two types read as different
 * DuckDB types is read as JSON and converted per type with json_transform_strict, which
 * converts (and refuses) exactly as read_json does. `schemas` are the record schemas to plan
 * from; only tests pass other ones.
 */
export function sqlPathPlan(types: readonly EventType[] = EVENT_TYPES, schemas: Readonly<Record<EventType, TObject>> = recordSchemas): SqlPathPlan {
  const plans = new Map<EventType, FieldPlan[]>();
  const readTypes = new Map<string, Set<string>>([
    ['type', new Set(['VARCHAR'])],
    ['event_id', new Set(['VARCHAR'])],
  ]);
  for (const type of types) {
    const fields = recordFieldPlans(type, schemas[type]);
    plans.set(type, fields);
    for (const f of fields) {
      const seen = readTypes.get(f.name) ?? new Set<string>();
      seen.add(f.value.readType);
      readTypes.set(f.name, seen);
    }
  }
  const readAsJson = new Set([...readTypes].filter(([, t]) => t.size > 1).map(([name]) => name));
  // The same fields as top-level columns, for files of bare record lines (the lake sink's).
  const recordColumns = `{${[...readTypes].map(([name, t]) => `${q(name)}: ${sqlString(readAsJson.has(name) ? 'JSON' : [...t][0]!)}`).join(', ')}}`;

  /** A type's view of the read record: its fields with their own read types. */
  const recordOf = (type: EventType) => {
    const fields = new Map(plans.get(type)!.map((f) => [f.name, f]));
    const field = (name: string): string => {
      const f = fields.get(name);
      if (!f) throw new Error(`${type}.${name} is not a record field`);
      if (!readAsJson.has(name)) return `r.${q(name)}`;
      return `json_transform_strict(r.${q(name)}, ${sqlString(JSON.stringify(f.value.structure))})`;
    };
    return { fields, field };
  };

  const okExpression: Record<string, string> = {};
  for (const type of types) {
    const { fields, field } = recordOf(type);
    const checks = [...fields.values()].map((f) => f.check(field(f.name)));
    okExpression[type] = [...checks, ...lakeFits(type, fields, field, schemas[type])].join(' AND ');
  }

  return {
    recordColumns,
    okExpression,
    projection(type, processedAtMicros) {
      const { fields, field } = recordOf(type);
      const derived = enrichmentSql(type, field, processedAtMicros).columns;
      return lakeColumns(type)
        .map((c) => {
          if (derived[c.name] !== undefined) return `${derived[c.name]} AS ${q(c.name)}`;
          if (!fields.has(c.name)) throw new Error(`${type}.${c.name} is neither a record field nor derived in SQL`);
          return `${lakeValueSql(field(c.name), c.type, 0).sql} AS ${q(c.name)}`;
        })
        .join(', ');
    },
    minutePartials(table, rows, processedAtMicros) {
      const def = MINUTE_TABLE_DEFS[table];
      const grouped = minutePartialsBody(table, recordOf(def.source).field, rows);
      const columns = minutePartialColumns(table).map((c) => {
        const value =
          c.name === 'window_start' ? `(g._m || ':00Z')::TIMESTAMPTZ` : c.name === 'processed_at' ? `make_timestamptz(${processedAtMicros}::BIGINT)` : `g.${q(c.name)}`;
        return `CAST(${value} AS ${duckdbSqlType(c.type)}) AS ${q(c.name)}`;
      });
      // Unsorted: readers only sum the rows, so their order carries nothing worth a sort.
      return `SELECT ${columns.join(', ')} FROM (${grouped}) g`;
    },
    telemetryAnomaly: plans.has('telemetry') ? `(${anomaliesSql(recordOf('telemetry').field).any})` : 'false',
  };
}

/** What a valid record's values need to fit their lake columns, record fields and derived ones. */
function lakeFits(type: EventType, fields: ReadonlyMap<string, FieldPlan>, field: (name: string) => string, schema: TObject): string[] {
  // processed_at does not enter the conditions; any instant does.
  const derived = enrichmentSql(type, field, 0);
  const fits = [...derived.fits];
  for (const c of lakeColumns(type)) {
    if (derived.columns[c.name] !== undefined || !fields.has(c.name)) continue;
    // A field whose schema bounds already keep it inside its DECIMAL needs no check of its own.
    if (c.type.kind === 'decimal' && boundsFitDecimal(schema.properties[c.name]!, c.type.precision, c.type.scale)) continue;
    fits.push(...lakeValueSql(field(c.name), c.type, 0).fits);
  }
  return fits;
}
