import { Readable } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';

/** An error with API.md's shape: `{"error": {"code", "message", "details"}}`. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details?: Record<string, unknown>) {
    super(message);
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} does not exist`);

/** Validates a JSON body: 400 when there is no JSON object at all, 422 naming each bad field. */
export function parseBody<T extends z.ZodType>(schema: T, request: FastifyRequest): z.infer<T> {
  const body = request.body;
  const jsonSent = /^application\/([\w.+-]*\+)?json\b/i.test(String(request.headers['content-type'] ?? ''));
  if (body instanceof Readable || (typeof body === 'string' && !jsonSent)) {
    if (body instanceof Readable) body.resume();
    throw new ApiError(415, 'unsupported_media_type', 'Send this request as JSON (Content-Type: application/json)');
  }
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError(400, 'malformed_body', 'The request body must be a JSON object');
  }
  return validate(schema, body);
}

export function validate<T extends z.ZodType>(schema: T, value: unknown, what = 'body'): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const fields: Record<string, string> = {};
    for (const issue of parsed.error.issues) {
      // An unknown field is named itself, not its parent object.
      const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
      for (const p of keys) {
        const key = p.length ? p.join('.') : what;
        fields[key] ??= issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message;
      }
    }
    throw new ApiError(422, 'invalid_fields', `Invalid ${what}: ${Object.entries(fields).map(([k, v]) => `${k}: ${v}`).join('; ')}`, { fields });
  }
  return parsed.data;
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: { code: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}` } });
  });
  app.setErrorHandler((err: FastifyError | ApiError | Error, request, reply) => {
    if (err instanceof ApiError) {
      return reply.code(err.status).send({ error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } });
    }
    const fe = err as FastifyError;
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      const code = fe.statusCode === 413 ? 'payload_too_large'
        : fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'unsupported_media_type'
        : fe.code?.startsWith('FST_ERR_CTP') || fe.statusCode === 400 ? 'malformed_body' : 'bad_request';
      return reply.code(fe.statusCode).send({ error: { code, message: fe.message } });
    }
    request.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ error: { code: 'internal_error', message: 'Something went wrong on our side; the service log has the details' } });
  });
}
