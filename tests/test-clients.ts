import { type AwsClients, createClients } from '#aws/clients.ts';
import { type AttuneConfig, parseConfig } from '#aws/config.ts';

/**
 * The configuration and SDK clients of the DynamoDB Local and s3rver that tests/global-setup.ts started,
 * read from the environment it publishes. Tests are a composition root of their own: they build these
 * once per test worker and pass them in, as the Lambdas and the embedded stack do.
 */
let config: AttuneConfig | undefined;
let clients: AwsClients | undefined;

export function testConfig(): AttuneConfig {
  config ??= parseConfig(process.env);
  return config;
}

export function testClients(): AwsClients {
  clients ??= createClients(testConfig());
  return clients;
}
