import t from 'tap';
import { Type } from '@sinclair/typebox';
import { isAppError, loadConfig } from '../../src/index.js';

const Schema = Type.Object({
  STREAM_NAME: Type.String({ minLength: 1, description: 'Kinesis stream' }),
  PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 3000 }),
  AGGREGATE: Type.Boolean({ default: true }),
  RATIO: Type.Number({ minimum: 0, maximum: 1, default: 0.5 }),
  ORIGINS: Type.Array(Type.String(), { default: [] }),
  MODE: Type.Union([Type.Literal('fast'), Type.Literal('safe')], { default: 'safe' }),
  ENDPOINT: Type.Optional(Type.String()),
});

t.test('defaults fill what is unset; values are converted to their types', async (t) => {
  const c = loadConfig(Schema, { STREAM_NAME: 'events', PORT: '8080', AGGREGATE: 'false', ORIGINS: 'https://a.example, https://b.example' });
  t.same(c, { STREAM_NAME: 'events', PORT: 8080, AGGREGATE: false, RATIO: 0.5, ORIGINS: ['https://a.example', 'https://b.example'], MODE: 'safe' });
  t.notOk('ENDPOINT' in c, 'an optional variable without default stays absent');
});

t.test('every bad variable is named with what it accepts, in one error', async (t) => {
  try {
    loadConfig(Schema, { PORT: '70000', AGGREGATE: 'maybe', MODE: 'turbo', RATIO: 'half' });
    t.fail('should have thrown');
  } catch (err) {
    t.ok(isAppError(err));
    if (!isAppError(err)) return;
    t.equal(err.code, 'ERR_CONFIG');
    t.match(err.message, /STREAM_NAME is required: a string \(at least 1 characters\) \(Kinesis stream\)/);
    t.match(err.message, /PORT="70000" is not valid: expected an integer ≥ 1 and ≤ 65535/);
    t.match(err.message, /AGGREGATE="maybe" is not valid: expected true or false/);
    t.match(err.message, /MODE="turbo" is not valid: expected "fast" or "safe"/);
    t.match(err.message, /RATIO="half" is not valid/);
  }
});

t.test('an empty variable counts as unset', async (t) => {
  t.equal(loadConfig(Schema, { STREAM_NAME: 's', PORT: '' }).PORT, 3000);
});
