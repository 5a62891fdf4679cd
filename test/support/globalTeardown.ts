import fs from 'node:fs/promises';

export default async function globalTeardown(): Promise<void> {
  const g = globalThis as { __stops?: Array<() => Promise<void>>; __root?: string };
  for (const stop of (g.__stops ?? []).reverse()) await stop().catch((err) => console.error('teardown:', err));
  if (g.__root && !process.env.KEEP_TEST_ROOT) await fs.rm(g.__root, { recursive: true, force: true });
}
