import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

type WebAclRule = aws.types.input.wafv2.WebAclRule;

/** The rule a flood from one address trips; its metric name is the alarm's Rule dimension. */
export const RATE_LIMIT_RULE = 'rate-limit';

/** Seconds a rate-limited client is told to wait: the WAF counts over five-minute windows. */
export const RATE_LIMIT_RETRY_AFTER_SECONDS = 60;

/** The 429 body of the rate rule, in the API's error shape so clients handle it as the API's own. */
const RATE_LIMITED_BODY = JSON.stringify({
  error: {
    code: 'ERR_RATE_LIMITED',
    message: 'too many requests from this address',
    hint: `retry after ${RATE_LIMIT_RETRY_AFTER_SECONDS} s`,
  },
});

/**
 * Rules of the AWS managed Core rule set that inspect request bodies. The API takes JSON
 * bodies up to MAX_REQUEST_BYTES (5 MiB; the rule blocks past 8 KB) and events carry
 * free-form user content (pages, search terms, HTML snippets) that it stores and never
 * interprets, so these rules only count: blocking would refuse real clients' events.
 */
export const BODY_RULES_COUNTED = ['SizeRestrictions_BODY', 'CrossSiteScripting_BODY', 'GenericLFI_BODY', 'GenericRFI_BODY', 'EC2MetaDataSSRF_BODY'] as const;

/**
 * Devices and SDKs that send no User-Agent are clients too: the Core rule set's rule against
 * that only counts.
 */
export const HEADER_RULES_COUNTED = ['NoUserAgent_HEADER'] as const;

const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true });

const managed = (priority: number, name: string, counted: readonly string[] = []): WebAclRule => ({
  name: `aws-${name}`,
  priority,
  overrideAction: { none: {} },
  statement: {
    managedRuleGroupStatement: {
      vendorName: 'AWS',
      name,
      ...(counted.length > 0 ? { ruleActionOverrides: counted.map((rule) => ({ name: rule, actionToUse: { count: {} } })) } : {}),
    },
  },
  visibilityConfig: visibility(`aws-${name}`),
});

/**
 * The web ACL's rules, in evaluation order: one address past `rateLimit` requests in five
 * minutes is blocked with a 429 in the API's error shape, then AWS's lists of addresses with
 * a bad reputation, of known-bad inputs, and its core rule set (body rules counted only).
 */
export function firewallRules(rateLimit: number): WebAclRule[] {
  return [
    {
      name: RATE_LIMIT_RULE,
      priority: 0,
      action: {
        block: {
          customResponse: {
            responseCode: 429,
            customResponseBodyKey: 'rate-limited',
            responseHeaders: [{ name: 'retry-after', value: String(RATE_LIMIT_RETRY_AFTER_SECONDS) }],
          },
        },
      },
      // IP is the address the load balancer sees: a client cannot choose it with a header.
      statement: { rateBasedStatement: { limit: rateLimit, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
      visibilityConfig: visibility(RATE_LIMIT_RULE),
    },
    managed(1, 'AWSManagedRulesAmazonIpReputationList'),
    managed(2, 'AWSManagedRulesKnownBadInputsRuleSet'),
    managed(3, 'AWSManagedRulesCommonRuleSet', [...BODY_RULES_COUNTED, ...HEADER_RULES_COUNTED]),
  ];
}

/** The web ACL's name for a stack; also its metric name, the WebACL dimension of its metrics. */
export function webAclName(stack: string): string {
  return `eventlake-${stack}-api`;
}

/** Inputs of ApiFirewall. */
export interface ApiFirewallArgs {
  loadBalancerArn: pulumi.Input<string>;
  /** Requests per client address per five minutes past which it is blocked. */
  rateLimit: number;
}

/** An AWS WAF web ACL in front of the API's load balancer (see `firewallRules`). */
export class ApiFirewall extends pulumi.ComponentResource {
  readonly webAcl: aws.wafv2.WebAcl;
  /** The web ACL's name and metric name. */
  readonly name: string;

  constructor(name: string, args: ApiFirewallArgs, opts?: pulumi.ComponentResourceOptions) {
    super('eventlake:edge:ApiFirewall', name, {}, opts);
    this.name = webAclName(pulumi.getStack());
    this.webAcl = new aws.wafv2.WebAcl(
      `${name}-acl`,
      {
        name: this.name,
        description: 'Rate limit per client address and AWS managed rules in front of the eventlake ingest API',
        scope: 'REGIONAL',
        defaultAction: { allow: {} },
        customResponseBodies: [{ key: 'rate-limited', contentType: 'APPLICATION_JSON', content: RATE_LIMITED_BODY }],
        rules: firewallRules(args.rateLimit),
        visibilityConfig: visibility(this.name),
      },
      { parent: this },
    );
    new aws.wafv2.WebAclAssociation(`${name}-alb`, { resourceArn: args.loadBalancerArn, webAclArn: this.webAcl.arn }, { parent: this });
    this.registerOutputs({ webAclArn: this.webAcl.arn });
  }
}
