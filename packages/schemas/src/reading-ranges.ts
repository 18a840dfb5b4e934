/**
 * Plausible ranges of telemetry readings: a reading outside its range is what the lake's
 * `anomaly` flag and `anomalies` list mean, so the table is part of the lake's contract with
 * the people who query it, beside the columns. The processor flags rows with it; the event
 * generator draws out-of-range readings from it. Data, not code: tune the bounds here.
 */

/** Inclusive bounds of one reading. */
export interface ReadingRange {
  min: number;
  max: number;
}

/** The telemetry readings that are range-checked. */
export type Reading = 'temperature' | 'humidity' | 'pressure';

/**
 * Temperature in °C (outdoor and cold-chain sensors: the coldest and hottest air ever
 * measured, with margin), relative humidity in percent, pressure in hPa (the lowest and
 * highest sea-level pressures recorded, widened for altitude).
 */
export const READING_RANGES: Readonly<Record<Reading, ReadingRange>> = {
  temperature: { min: -90, max: 60 },
  humidity: { min: 0, max: 100 },
  pressure: { min: 300, max: 1100 },
};
