import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { eq } from 'drizzle-orm';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { cloudItems, erpAttachments } from '../../db/schema.js';
import { CloudError } from '../../cloud/port.js';
import { DomainError } from '../../domain/domains.js';
import { ErpError } from '../../erp/port.js';
import { sanitizeName } from '../../domain/naming.js';
import type { Services } from '../../services.js';
import { ApiError, notFound, parseBody, validate } from '../errors.js';
import { attachmentPatch, idParam, modelName, recordBody, recordPatch } from '../schemas.js';

type AttachmentRow = typeof erpAttachments.$inferSelect;

export function attachmentView(row: AttachmentRow, syncedAt: Date | null = null) {
  return {
    id: row.id, resModel: row.resModel, resId: row.resId, name: row.name, type: row.type, url: row.url,
    folder: row.isFolder, size: row.fileSize, mimetype: row.mimetype, checksum: row.checksum,
    syncedAt: row.type === 'url' ? (syncedAt ?? row.writeDate).toISOString() : null,
  };
}

function recordParams(request: FastifyRequest) {
  const p = request.params as { model: string; id: string };
  return { model: validate(modelName, p.model, 'model'), id: validate(idParam, p.id, 'id') };
}

export function recordRoutes(app: FastifyInstance, services: Services): void {
  const erp = services.builtin;
  const { db } = services.database;

  app.post('/api/records', async (request, reply) => {
    const input = parseBody(recordBody, request);
    const record = await erp.createRecord(input.model, input.name, input.fields);
    return reply.code(201).send({ model: record.model, id: record.id, name: record.displayName, displayName: record.displayName, fields: record.fields, writeDate: record.writeDate });
  });

  app.get('/api/records/:model', async (request) => {
    const model = validate(modelName, (request.params as { model: string }).model, 'model');
    const raw = (request.query as { domain?: string }).domain;
    let domain: unknown = [];
    if (raw !== undefined) {
      try {
        domain = JSON.parse(raw);
      } catch {
        throw new ApiError(400, 'malformed_domain', 'The domain query parameter must be JSON, e.g. [["name","ilike","azure"]]');
      }
    }
    try {
      const records = await erp.searchRecords(model, domain as never);
      return records.map((r) => ({ model: r.model, id: r.id, name: r.displayName, displayName: r.displayName, fields: r.fields, writeDate: r.writeDate }));
    } catch (err) {
      if (err instanceof DomainError) throw new ApiError(422, 'invalid_domain', err.message, { fields: { domain: err.message } });
      throw err;
    }
  });

  app.get('/api/records/:model/:id', async (request) => {
    const { model, id } = recordParams(request);
    const r = await erp.getRecord(model, id);
    if (!r) throw notFound(`Record ${model},${id}`);
    return { model: r.model, id: r.id, name: r.displayName, displayName: r.displayName, fields: r.fields, writeDate: r.writeDate };
  });

  /**
   * The manual's "Open Cloud Folder": the record's object folder in the cloud. On Nextcloud
   * / ownCloud the Files app link by file id (needs a login, survives renames and moves);
   * on plain WebDAV the folder's URL.
   */
  app.get('/api/records/:model/:id/cloud-folder', async (request) => {
    const { model, id } = recordParams(request);
    if (!(await erp.getRecord(model, id))) throw notFound(`Record ${model},${id}`);
    const [folder] = await services.database.db.select().from(cloudItems).where(eq(cloudItems.ref, `object:${model}:${id}`));
    if (!folder) throw new ApiError(404, 'no_cloud_folder', `Record ${model},${id} has no folder in the cloud yet: it is not in a sync model's scope, or the next direct sync creates it`);
    const opened = await services.openCloud();
    if (!opened) throw new ApiError(409, 'cloud_not_confirmed', 'The cloud connection is not confirmed: PUT /api/connection, then POST /api/connection/confirm');
    const item = { path: folder.path, type: 'folder' as const, size: 0, etag: folder.etag, lastModified: null, fileId: folder.fileId };
    return { url: opened.cloud.linkFor(item), path: folder.path };
  });

  app.patch('/api/records/:model/:id', async (request) => {
    const { model, id } = recordParams(request);
    const input = parseBody(recordPatch, request);
    const r = await erp.updateRecord(model, id, input);
    if (!r) throw notFound(`Record ${model},${id}`);
    return { model: r.model, id: r.id, name: r.displayName, displayName: r.displayName, fields: r.fields, writeDate: r.writeDate };
  });

  /** Odoo's unlink: the record and its attachments; the next direct sync deletes its cloud folder. */
  app.delete('/api/records/:model/:id', async (request, reply) => {
    const { model, id } = recordParams(request);
    if (!(await erp.deleteRecord(model, id))) throw notFound(`Record ${model},${id}`);
    return reply.code(204).send();
  });

  app.post('/api/records/:model/:id/attachments', async (request, reply) => {
    const { model, id } = recordParams(request);
    if (!(await erp.getRecord(model, id))) {
      drain(request);
      throw notFound(`Record ${model},${id}`);
    }
    let name: string | undefined;
    let mimetype: string | undefined;
    let content: Readable;
    if (request.isMultipart()) {
      const file = await request.file({ limits: { fileSize: Number.MAX_SAFE_INTEGER } });
      if (!file) throw new ApiError(400, 'file_missing', 'The multipart body has no part named "file"');
      if (file.fieldname !== 'file') throw new ApiError(400, 'file_missing', `Send the file in a part named "file", not "${file.fieldname}"`);
      name = file.filename;
      mimetype = file.mimetype;
      content = file.file;
    } else {
      name = (request.query as { name?: string }).name;
      mimetype = request.headers['content-type'];
      if (!(request.body instanceof Readable)) throw new ApiError(400, 'file_missing', 'Send the file as the raw body with ?name=, or as multipart with a part named "file"');
      content = request.body;
    }
    if (!name || !name.trim() || !sanitizeName(name)) {
      drain(request);
      throw new ApiError(422, 'invalid_fields', 'The attachment needs a file name (multipart filename, or ?name=)', { fields: { name: 'is required' } });
    }
    if (name.length > 1000) {
      drain(request);
      throw new ApiError(422, 'invalid_fields', 'The file name is too long', { fields: { name: 'at most 1000 characters' } });
    }
    const attachment = await erp.addAttachment({ resModel: model, resId: id, name: name.trim(), mimetype: mimetype?.split(';')[0], content });
    return reply.code(201).send({ id: attachment.id, name: attachment.name, type: attachment.type, size: attachment.size, mimetype: attachment.mimetype, checksum: attachment.checksum });
  });

  app.get('/api/records/:model/:id/attachments', async (request) => {
    const { model, id } = recordParams(request);
    if (!(await erp.getRecord(model, id))) throw notFound(`Record ${model},${id}`);
    const rows = await erp.listRecordAttachments(model, id);
    return rows.map((r) => attachmentView(r));
  });

  app.get('/api/attachments/:id', async (request) => {
    const id = validate(idParam, (request.params as { id: string }).id, 'id');
    const [row] = await db.select().from(erpAttachments).where(eq(erpAttachments.id, id));
    if (!row) throw notFound(`Attachment ${id}`);
    return attachmentView(row);
  });

  app.patch('/api/attachments/:id', async (request) => {
    const id = validate(idParam, (request.params as { id: string }).id, 'id');
    const { name } = parseBody(attachmentPatch, request);
    const renamed = await erp.renameAttachment(id, name);
    if (!renamed) throw notFound(`Attachment ${id}`);
    const [row] = await db.select().from(erpAttachments).where(eq(erpAttachments.id, id));
    return attachmentView(row!);
  });

  /** A deleted URL attachment's cloud file is deleted by the next direct sync. */
  app.delete('/api/attachments/:id', async (request, reply) => {
    const id = validate(idParam, (request.params as { id: string }).id, 'id');
    if (!(await erp.deleteAttachment(id))) throw notFound(`Attachment ${id}`);
    return reply.code(204).send();
  });

  /**
   * Downloads need no cloud login: a synced file is streamed from the cloud through us.
   * It serves the ERP the syncs use (the builtin store, or the confirmed Odoo), since the
   * mapping that finds the cloud file is that ERP's.
   */
  app.get('/api/attachments/:id/content', async (request, reply) => {
    const id = validate(idParam, (request.params as { id: string }).id, 'id');
    const current = services.erp;
    const att = await current.getAttachment(id).catch(erpUnavailable);
    if (!att) throw notFound(`Attachment ${id}`);
    if (att.isFolder) throw new ApiError(409, 'is_folder', 'A folder link has no content to download; open it in the cloud');
    let stream: Readable | null = null;
    let row = att;
    if (row.type === 'binary') {
      stream = await current.openContent(id, row).then((c) => c.stream, async (err: unknown) => {
        // Released between the look and the read (a sync just replaced it with its link)?
        const now = await current.getAttachment(id).catch(() => null);
        if (now?.type !== 'url') erpUnavailable(err);
        row = now!;
        return null;
      });
    }
    if (!stream) {
      const [item] = await db.select().from(cloudItems).where(eq(cloudItems.attachmentId, id));
      const opened = await services.openCloud();
      if (!item || !opened) throw new ApiError(409, 'not_downloadable', 'This URL attachment is not linked to a file of the confirmed cloud connection');
      stream = await opened.cloud.download(item.path).catch((err: unknown) => {
        if (err instanceof CloudError && err.code === 'not_found') throw new ApiError(404, 'cloud_file_missing', `${item.path} is no longer in the cloud (the next backward sync unlinks it)`);
        if (err instanceof CloudError) throw new ApiError(502, 'cloud_unavailable', `The cloud did not give ${item.path}: ${err.message}`);
        throw err;
      });
    }
    return sendDownload(reply, stream, row);
  });
}

/** The ERP's refusal in the API's words: gone, not set up, not allowed, or not answering. */
function erpUnavailable(err: unknown): never {
  if (!(err instanceof ErpError)) throw err;
  if (err.code === 'not_found') throw new ApiError(404, 'not_found', err.message);
  if (err.code === 'invalid') throw new ApiError(409, 'erp_not_ready', err.message);
  if (err.code === 'access_denied') throw new ApiError(403, 'erp_access_denied', err.message);
  throw new ApiError(502, 'erp_unavailable', `The ERP did not answer: ${err.message}`);
}

async function sendDownload(reply: FastifyReply, stream: Readable, row: { name: string; mimetype: string | null }) {
  reply.header('content-type', row.mimetype || 'application/octet-stream');
  reply.header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(row.name)}`);
  reply.header('x-content-type-options', 'nosniff');
  return reply.send(stream);
}

function drain(request: FastifyRequest) {
  if (request.body instanceof Readable) void pipeline(request.body, async function* (s) { for await (const _ of s) void _; }).catch(() => {});
}
