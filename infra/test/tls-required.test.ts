/**
 * A stack with no certificate that does not say httpOnly is refused before anything is
 * declared: prod as it comes, without the certificateArn docs/deploy.md says to set.
 */
import t from 'tap';
import { declareStack } from './helpers/mock-stack.js';

t.test('prod without a certificate refuses to deploy, naming certificateArn and the way out', async (t) => {
  await t.rejects(declareStack('prod', { alarmEmail: 'oncall@example.com' }), {
    code: 'ERR_INFRA_CONFIG',
    message: /certificateArn is empty: the API would listen on plain HTTP and API keys would cross the internet in clear text/,
    hint: /certificateArn|httpOnly/,
  });
});
