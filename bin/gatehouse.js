#!/usr/bin/env node
// The `gatehouse` command. The TypeScript sources are compiled to dist/ by `npm ci`
// (the `prepare` script); run `npm run build` after changing them.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Password hashing runs on libuv's pool (passwords.maxConcurrent at a time): leave room
// for file and DNS work. Must be set before the pool's first use.
process.env.UV_THREADPOOL_SIZE ??= '8';

const entry = new URL('../dist/cli/run.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('gatehouse: dist/ is missing; run `npm ci` or `npm run build` first\n');
  process.exit(1);
}
await import(entry.href);
