import { z } from 'zod';
import { parseDomain, DomainError } from '../domain/domains.js';
import { compileNameExpression, NameExpressionError } from '../domain/nameExpressions.js';
import type { DefaultFolder } from '../domain/types.js';

/** One schema per body: validation and TypeScript types come from the same place. */

export const modelName = z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/, 'must be an Odoo model name such as res.partner');

const httpUrl = z.string().refine((s) => {
  try {
    return ['http:', 'https:'].includes(new URL(s).protocol);
  } catch {
    return false;
  }
}, 'must be an http(s) URL');

export const connectionBody = z.object({
  url: httpUrl,
  username: z.string().min(1, 'is required'),
  password: z.string().min(1, 'is required'),
  rootFolder: z.string().trim().min(1, 'must not be empty').max(200).refine((s) => !/[/\\]/.test(s), 'must be one folder name, without slashes').default('Odoo'),
  publicUrls: z.boolean().default(false),
}).strict();

export const domainSchema = z.array(z.unknown()).superRefine((value, ctx) => {
  try {
    parseDomain(value);
  } catch (err) {
    if (err instanceof DomainError) ctx.addIssue({ code: 'custom', message: err.message, path: err.index === null ? [] : [err.index] });
    else throw err;
  }
});

export const periodSchema = z.object({
  field: z.string().regex(/^[a-z_][a-z0-9_]*$/i, 'must be a date field name'),
  direction: z.enum(['last', 'next']),
  amount: z.number().int().min(1).max(1000),
  unit: z.enum(['days', 'weeks', 'months', 'years']),
  includeCurrent: z.boolean().default(false),
}).strict();

export const defaultFolderSchema: z.ZodType<DefaultFolder> = z.lazy(() => z.object({
  name: z.string().trim().min(1, 'must not be empty').max(200),
  children: z.array(defaultFolderSchema).default([]),
}).strict()) as z.ZodType<DefaultFolder>;

export const syncModelBody = z.object({
  model: modelName,
  folderName: z.string().trim().min(1, 'must not be empty').max(200),
  domain: domainSchema.default([]),
  periods: z.array(periodSchema).default([]),
  nameExpression: z.string().max(1000).nullable().default(null).superRefine((value, ctx) => {
    if (value === null) return;
    try {
      compileNameExpression(value);
    } catch (err) {
      if (!(err instanceof NameExpressionError)) throw err;
      ctx.addIssue({ code: 'custom', message: `${err.message} (at character ${err.position + 1})` });
    }
  }),
  defaultFolders: z.array(defaultFolderSchema).default([]),
  active: z.boolean().default(true),
}).strict();

export const recordBody = z.object({
  model: modelName,
  name: z.string().trim().min(1, 'must not be empty').max(1000),
  fields: z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/i, 'field names are identifiers'), z.unknown()).default({}),
}).strict();

export const idParam = z.coerce.number().int().positive().max(2 ** 31 - 1);

export const logsQuery = z.object({
  level: z.enum(['success', 'warning', 'error']).optional(),
  direction: z.enum(['direct', 'backward']).optional(),
  q: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.coerce.number().int().positive().optional(),
});
