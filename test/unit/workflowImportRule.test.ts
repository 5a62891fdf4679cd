/** The lint rule that keeps workflow code deterministic: only @temporalio/workflow, siblings and types. */
import { ESLint } from 'eslint';

const eslint = new ESLint();
const lintWorkflow = async (code: string) => {
  const [result] = await eslint.lintText(code, { filePath: 'src/workflows/example.ts' });
  return result!.messages.map((m) => m.message);
};

test('Node built-ins, I/O libraries and activity code are refused in workflow files', async () => {
  for (const source of ["import fs from 'node:fs';", "import { createClient } from 'webdav';", "import { createActivities } from '../activities/index.js';"]) {
    expect(await lintWorkflow(`${source}\nexport const x = [${source.match(/import (?:\{ )?(\w+)/)![1]}];\n`)).toEqual([
      expect.stringContaining('Workflow files import only @temporalio/workflow'),
    ]);
  }
});

test('@temporalio/workflow, sibling modules and type-only imports are allowed', async () => {
  expect(await lintWorkflow([
    "import { proxyActivities } from '@temporalio/workflow';",
    "import { WORKFLOW_IDS } from './shared.js';",
    "import type { Activities } from '../activities/index.js';",
    'export const x: [unknown, unknown, Activities | null] = [proxyActivities, WORKFLOW_IDS, null];',
  ].join('\n'))).toEqual([]);
});
