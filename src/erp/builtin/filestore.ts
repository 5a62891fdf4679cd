import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Binary content of the builtin store, on disk and content-addressed by SHA-1 like Odoo's
 * filestore (`ab/abcdef…`). Writes stream through a temporary file and a rename, so a
 * crash never leaves a half-written blob under a real name.
 */
export class Filestore {
  constructor(readonly dir: string) {}

  private pathOf(fname: string): string {
    if (!/^[0-9a-f]{2}\/[0-9a-f]{40}$/.test(fname)) throw new Error(`Bad filestore name ${fname}`);
    return path.join(this.dir, fname);
  }

  async write(source: Readable, maxBytes = Number.POSITIVE_INFINITY): Promise<{ fname: string; checksum: string; size: number }> {
    await fs.mkdir(path.join(this.dir, 'tmp'), { recursive: true });
    const tmp = path.join(this.dir, 'tmp', randomUUID());
    const hash = createHash('sha1');
    let size = 0;
    try {
      await pipeline(source, async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          size += chunk.length;
          if (size > maxBytes) throw new Error(`The file is larger than ${maxBytes} bytes`);
          hash.update(chunk);
          yield chunk;
        }
      }, createWriteStream(tmp, { flags: 'wx' }));
      const checksum = hash.digest('hex');
      const fname = `${checksum.slice(0, 2)}/${checksum}`;
      await fs.mkdir(path.dirname(this.pathOf(fname)), { recursive: true });
      await fs.rename(tmp, this.pathOf(fname));
      return { fname, checksum, size };
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  read(fname: string): Readable {
    return createReadStream(this.pathOf(fname));
  }

  async exists(fname: string): Promise<boolean> {
    return fs.access(this.pathOf(fname)).then(() => true, () => false);
  }

  async remove(fname: string): Promise<void> {
    await fs.rm(this.pathOf(fname), { force: true });
  }
}
