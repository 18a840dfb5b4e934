import t from 'tap';
import { ENDPOINTS, prepareEvent } from '@eventlake/schemas';
import { EXAMPLE_EVENT, exampleCurl } from '../../src/example-curl.js';

t.test('the example event is one the API accepts as it is', async (t) => {
  const result = prepareEvent('clickstream', structuredClone(EXAMPLE_EVENT), { receivedAtMicros: Date.UTC(2026, 0, 1) * 1000 });
  t.equal(result.ok, true, JSON.stringify(result));
});

t.test('the curl posts that event to the clickstream endpoint with the key header the API reads', async (t) => {
  const curl = exampleCurl('https://events.example.com');
  t.ok(curl.startsWith(`curl -sS -X POST https://events.example.com${ENDPOINTS.clickstream} `));
  t.match(curl, /-H "x-api-key: \$EVENTLAKE_API_KEY"/, 'the key comes from the shell, never from the stack');
  const body = /-d '([^']+)'$/.exec(curl)?.[1];
  t.same(JSON.parse(body ?? 'null'), EXAMPLE_EVENT);
});
