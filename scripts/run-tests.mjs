#!/usr/bin/env node
// Runs every test/**/*.test.ts file (or those under the paths given) with node's test runner through tsx.
// Node 20's --test does not expand globs or find .ts files itself, hence this small script.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const roots = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const files = [];
for (const root of roots.length ? roots : ['test']) {
  if (statSync(root).isFile()) files.push(root);
  else for (const f of readdirSync(root, { recursive: true })) if (String(f).endsWith('.test.ts')) files.push(join(root, String(f)));
}
files.sort();
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ') || 'test'}`);
  process.exit(1);
}
console.error(`running ${files.length} test files: ${files.map((f) => relative('test', f)).join(' ')}`);
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...flags, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
