import type { FastifyInstance } from 'fastify';
import { confirmCloud } from '../../cloud/confirm.js';
import { CloudError } from '../../cloud/port.js';
import { connectionView } from '../../db/repos/connection.js';
import { MappingRepo } from '../../db/repos/mapping.js';
import { joinCloudPath } from '../../domain/naming.js';
import type { Services } from '../../services.js';
import { ApiError, parseBody } from '../errors.js';
import { connectionBody } from '../schemas.js';

const CONFIRM_CODES: Partial<Record<CloudError['code'], string>> = {
  auth_failed: 'cloud_auth_failed',
  unreachable: 'cloud_unreachable',
  not_webdav: 'cloud_not_webdav',
  forbidden: 'cloud_forbidden',
};

export function connectionRoutes(app: FastifyInstance, services: Services): void {
  app.get('/api/connection', async () => connectionView(await services.connections.get()) ?? { state: 'unconfigured' });

  app.put('/api/connection', async (request) => {
    const input = parseBody(connectionBody, request);
    return connectionView(await services.connections.save(input));
  });

  app.post('/api/connection/confirm', async () => {
    const row = await services.connections.get();
    if (!row) throw new ApiError(409, 'connection_missing', 'Save a cloud connection first (PUT /api/connection)');
    const cloud = services.cloudFor(services.connections.credentials(row));
    try {
      // A root the service already made stays the place to check: a renamed root folder is
      // moved by the next direct sync, not made anew next to the old one.
      const mappedRoot = await new MappingRepo(services.database.db).get('root');
      const capabilities = await confirmCloud(cloud, mappedRoot?.path ?? joinCloudPath(row.rootFolder));
      if (row.publicUrls && !capabilities.shares) {
        throw new ApiError(422, 'public_urls_unsupported', 'This server has no share API (it is plain WebDAV): public links need Nextcloud or ownCloud. Save the connection with publicUrls: false.');
      }
      await services.connections.markConfirmed(capabilities);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await services.connections.markError(message);
      if (err instanceof ApiError) throw err;
      if (err instanceof CloudError) {
        throw new ApiError(422, CONFIRM_CODES[err.code] ?? `cloud_${err.code}`, message, { status: err.status ?? null });
      }
      throw err;
    }
    return connectionView(await services.connections.get());
  });
}
