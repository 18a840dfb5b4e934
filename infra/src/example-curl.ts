/**
 * The `exampleCurl` stack output: a first request an operator can paste, built from the
 * schemas package's endpoint table so it cannot drift from the API's routes.
 */
import { ENDPOINTS } from '@eventlake/schemas';

/** A clickstream event the API accepts as it is (tests validate it with the schemas package). */
export const EXAMPLE_EVENT = { user_id: 'u-1', session_id: 's-1', action: 'view_item', item_id: 212, price: 34.5 } as const;

/** `curl` posting EXAMPLE_EVENT to `apiUrl`, with the key read from $EVENTLAKE_API_KEY. */
export function exampleCurl(apiUrl: string): string {
  return [
    `curl -sS -X POST ${apiUrl}${ENDPOINTS.clickstream}`,
    `-H 'content-type: application/json'`,
    `-H "x-api-key: $EVENTLAKE_API_KEY"`,
    `-d '${JSON.stringify(EXAMPLE_EVENT)}'`,
  ].join(' ');
}
