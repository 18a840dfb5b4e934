import t from 'tap';
import { AppError, isAppError } from '../../src/index.js';

t.test('AppError carries code, status and hint into its JSON body', async (t) => {
  const e = new AppError('ERR_TOO_LARGE', 'request body is 6 MiB', { status: 413, hint: 'send at most 5 MiB', details: { limit: 5 } });
  t.same(e.toJSON(), { error: { code: 'ERR_TOO_LARGE', message: 'request body is 6 MiB', hint: 'send at most 5 MiB', details: { limit: 5 } } });
  t.equal(e.status, 413);
  t.same(new AppError('ERR_X', 'm').toJSON(), { error: { code: 'ERR_X', message: 'm' } }, 'no empty hint or details keys');
  t.equal(new AppError('ERR_X', 'm').status, 500, 'unclassified errors are server errors');
  t.ok(isAppError(e));
  t.notOk(isAppError(new Error('plain')));
  t.notOk(isAppError({ name: 'AppError' }), 'a lookalike needs a code');
});
