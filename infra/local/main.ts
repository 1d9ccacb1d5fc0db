import { z } from 'zod';
import { startEmbeddedStack } from '#local/embedded-stack.ts';
import { PortInUseError } from '#local/http-server.ts';

/** `npm start`: the embedded stack, configured by ATTUNE_PORT, ATTUNE_DATA_DIR and ATTUNE_DEV_KEYS. */
const Env = z.object({
  ATTUNE_PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  ATTUNE_DATA_DIR: z.string().min(1).default('.attune'),
  ATTUNE_DEV_KEYS: z.string().optional(),
});

async function main(): Promise<void> {
  const parsed = Env.safeParse(process.env);
  if (!parsed.success) {
    console.error(
      `Invalid environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
    process.exit(2);
  }
  const env = parsed.data;
  const stack = await startEmbeddedStack({
    port: env.ATTUNE_PORT,
    dataDir: env.ATTUNE_DATA_DIR,
    ...(env.ATTUNE_DEV_KEYS ? { devKeys: env.ATTUNE_DEV_KEYS } : {}),
    env: process.env,
  });
  console.log(`Attune is running at ${stack.url}`);
  console.log(`  OPENAI_BASE_URL=${stack.url}/v1`);
  for (const { team, key } of stack.keys) console.log(`  team ${team}: OPENAI_API_KEY=${key}`);
  console.log(`Data in ${env.ATTUNE_DATA_DIR}. Ctrl-C stops.`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping Attune…`);
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof PortInUseError) {
    console.error(error.message);
    process.exit(3);
  }
  console.error(error);
  process.exit(1);
});
