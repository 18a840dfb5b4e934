import * as pulumi from '@pulumi/pulumi';
import { CONFIG_KEYS, checkTransport, parseInfraConfig, validateApiKeyHashes, type InfraConfig } from './config.js';

/** The Pulumi config namespace of every key (`eventlake:<key>`). */
export const CONFIG_NAMESPACE = 'eventlake';

/** Reads and validates the current stack's config; the API key digests stay a Pulumi secret. */
export function readStackConfig(): { config: InfraConfig; apiKeyHashes: pulumi.Output<string> } {
  const cfg = new pulumi.Config(CONFIG_NAMESPACE);
  const raw: Record<string, string | undefined> = {};
  for (const key of CONFIG_KEYS) raw[key] = cfg.get(key);
  const config = parseInfraConfig(raw);
  checkTransport(config);
  const apiKeyHashes = cfg.requireSecret('apiKeyHashes').apply(validateApiKeyHashes);
  return { config, apiKeyHashes };
}
