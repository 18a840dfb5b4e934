/**
 * What the API's firewall blocks and what it only counts, read as policy.
 */
import t from 'tap';
import { BODY_RULES_COUNTED, RATE_LIMIT_RULE, firewallRules, webAclName } from '../../src/api-firewall.js';

const rules = firewallRules(30_000);
const byName = (name: string) => rules.find((r) => r.name === name)!;

t.test('first, one client address past the limit in five minutes is blocked with a 429 and Retry-After', async (t) => {
  const rate = byName(RATE_LIMIT_RULE);
  t.equal(rate.priority, 0, 'before any other rule');
  t.same(rate.statement, { rateBasedStatement: { limit: 30_000, aggregateKeyType: 'IP', evaluationWindowSec: 300 } }, 'by the address the load balancer sees, not a header');
  t.match(rate.action, { block: { customResponse: { responseCode: 429, customResponseBodyKey: 'rate-limited', responseHeaders: [{ name: 'retry-after' }] } } });
});

t.test('then AWS managed rule groups: bad reputation, known-bad inputs, the core rule set', async (t) => {
  const groups = rules.filter((r) => r.statement && (r.statement as { managedRuleGroupStatement?: unknown }).managedRuleGroupStatement);
  t.same(
    groups.map((r) => (r.statement as { managedRuleGroupStatement: { vendorName: string; name: string } }).managedRuleGroupStatement.name),
    ['AWSManagedRulesAmazonIpReputationList', 'AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesCommonRuleSet'],
  );
  for (const g of groups) t.same(g.overrideAction, { none: {} }, `${g.name} blocks as AWS made it`);
  t.same([...new Set(rules.map((r) => r.priority))].length, rules.length, 'priorities are distinct');
});

t.test('the core rule set only counts what would refuse real events: large JSON bodies, free-form content, no User-Agent', async (t) => {
  const core = byName('aws-AWSManagedRulesCommonRuleSet').statement as { managedRuleGroupStatement: { ruleActionOverrides: { name: string; actionToUse: unknown }[] } };
  const counted = core.managedRuleGroupStatement.ruleActionOverrides;
  t.ok(counted.every((o) => JSON.stringify(o.actionToUse) === '{"count":{}}'), 'overrides only ever count, never allow');
  t.ok(counted.some((o) => o.name === 'SizeRestrictions_BODY'), 'a 5 MiB batch is not blocked at 8 KB');
  t.same(counted.map((o) => o.name).filter((n) => n.endsWith('_BODY')).sort(), [...BODY_RULES_COUNTED].sort());
  t.notOk(counted.some((o) => /_(QUERYARGUMENTS|URIPATH|COOKIE)$/.test(o.name)), 'URI, query and cookie rules still block');
});

t.test('every rule and the web ACL publish metrics the alarms can name', async (t) => {
  for (const r of rules) t.match(r.visibilityConfig, { cloudwatchMetricsEnabled: true, metricName: r.name });
  t.equal(webAclName('prod'), 'eventlake-prod-api');
});
