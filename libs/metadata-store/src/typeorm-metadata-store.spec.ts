import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { loadConfig } from '@dingo/config';
import { openMetadataDataSource } from './data-source';
import { metadataPortContract } from './metadata-port.contract';
import { TypeOrmMetadataStore } from './typeorm-metadata-store';

const MARIADB = 'mysql://root@127.0.0.1:3306';

metadataPortContract(
  'TypeORM on SQLite',
  (() => {
    let ds: DataSource;
    let dir: string;
    return {
      async create() {
        dir = mkdtempSync(join(tmpdir(), 'meta-sqlite-'));
        ds = await openMetadataDataSource(
          loadConfig({}, { database: { type: 'sqlite', url: join(dir, 'meta.sqlite') } }),
        );
        return new TypeOrmMetadataStore(ds);
      },
      async close() {
        await ds?.destroy();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  })(),
);

/** A database of its own on the local MariaDB, dropped afterwards; migrations build the schema. */
metadataPortContract(
  'TypeORM on MariaDB',
  (() => {
    const database = `dingo_test_${randomBytes(6).toString('hex')}`;
    let ds: DataSource;
    async function admin(sql: string) {
      const conn = await createConnection(MARIADB);
      try {
        await conn.query(sql);
      } finally {
        await conn.end();
      }
    }
    return {
      async create() {
        await admin(`CREATE DATABASE \`${database}\``);
        ds = await openMetadataDataSource(
          loadConfig({}, { database: { type: 'mysql', url: `${MARIADB}/${database}` } }),
        );
        return new TypeOrmMetadataStore(ds);
      },
      async close() {
        await ds?.destroy();
        await admin(`DROP DATABASE IF EXISTS \`${database}\``);
      },
    };
  })(),
);
