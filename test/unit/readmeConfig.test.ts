/** The README keeps a table of every configuration variable: exactly the ones the service reads. */
import fs from 'node:fs';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config/index.js';

const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 5));
const documented = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);

test('the README table lists every variable src/config reads, and nothing else', () => {
  expect([...documented].sort()).toEqual([...CONFIG_VARIABLES].sort());
});

test('RUN_WORKER=false serves the API only; anything but true/false is refused by name', () => {
  expect(loadConfig({}).runWorker).toBe(true);
  expect(loadConfig({ RUN_WORKER: 'false' }).runWorker).toBe(false);
  expect(() => loadConfig({ RUN_WORKER: 'no' })).toThrow(/RUN_WORKER must be true or false/);
});
