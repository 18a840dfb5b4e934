import t from 'tap';
import { AppError, Metrics } from '@eventlake/common';
import { Admission } from '../../../src/publisher/admission.js';

const refusal = (fn: () => void): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof AppError ? `${err.status} ${err.code}` : String(err);
  }
};

t.test('bytes are held from admit to release, and a request that would pass the bound is refused at once', async (t) => {
  const metrics = new Metrics('test');
  const admission = new Admission({ maxInFlightBytes: 100, retryAfterSeconds: 3 }, metrics);
  admission.admit(60);
  admission.admit(40);
  t.equal(admission.inFlight, 100, 'exactly at the bound is admitted');
  let err: AppError | undefined;
  try {
    admission.admit(1);
  } catch (e) {
    err = e as AppError;
  }
  t.equal(err?.code, 'ERR_OVERLOADED');
  t.equal(err?.status, 503);
  t.match(err?.hint, /retry after 3 s with the same event ids/);
  t.equal(admission.inFlight, 100, 'a refused request holds nothing');
  admission.release(60);
  t.equal(refusal(() => admission.admit(50)), undefined, 'room again once bytes are released');
  const text = await metrics.prometheusText();
  t.match(text, /^test_publisher_in_flight_bytes 90$/m, 'the gauge is the count the bound is checked against');
  t.match(text, /^test_publisher_overloaded_total 1$/m);
});

t.test('shutdown: draining refuses arrivals but admits what was received; closed admits nothing', async (t) => {
  const admission = new Admission({ maxInFlightBytes: 1000, retryAfterSeconds: 1 });
  t.equal(admission.arrival(), undefined, 'open: requests arrive');
  t.notOk(admission.draining);
  admission.drain();
  t.ok(admission.draining, 'answers end their connections from now on');
  t.equal(admission.arrival()?.code, 'ERR_SHUTTING_DOWN', 'a request arriving while draining is refused');
  t.equal(admission.arrival()?.status, 503);
  t.equal(refusal(() => admission.admit(10)), undefined, 'a request received before is still admitted');
  admission.close();
  t.equal(refusal(() => admission.admit(10)), '503 ERR_SHUTTING_DOWN', 'closed: nothing more');
  admission.drain();
  t.equal(refusal(() => admission.admit(10)), '503 ERR_SHUTTING_DOWN', 'drain after close does not reopen it');
  admission.release(10);
  t.equal(admission.inFlight, 0);
});
