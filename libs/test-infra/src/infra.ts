import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import S3rver from 's3rver';

/** A throwaway S3 on loopback (s3rver accepts the S3RVER/S3RVER key pair). */
export async function startS3(): Promise<{ url: (bucket: string) => string; close: () => Promise<void> }> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });
  const { port } = await server.run();
  return {
    url: (bucket) => `s3://S3RVER:S3RVER@127.0.0.1:${port}/${bucket}?ssl=false`,
    close: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

const MYSQL = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };

/** A fresh MariaDB/MySQL database on the local server, dropped by `drop()`. */
export async function tempMysqlDatabase(
  prefix = 'dingo_test',
): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const conn = await createConnection(MYSQL);
  await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  await conn.end();
  return {
    name,
    url: `mysql://root@127.0.0.1:3306/${name}`,
    async drop() {
      const c = await createConnection(MYSQL);
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}

/** A namespace for Redis keys and channels no other run shares. */
export function uniqueNamespace(prefix = 't'): string {
  return `${prefix}${randomBytes(4).toString('hex')}`;
}
