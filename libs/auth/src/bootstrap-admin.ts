import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DingoConfig, StartupError } from '@dingo/config';
import { GrantEntity, UserEntity } from './entities';
import { hashPassword, verifyPassword } from './password-hasher';

export const ADMIN_PASSWORD_FILE = 'admin-password';

/**
 * On first start (no users at all) creates the admin from `auth.adminUser` / `auth.adminPassword`
 * (DINGO_ADMIN_USER / DINGO_ADMIN_PASSWORD), granted `admin` on everything. Without a configured
 * password one is generated and written to `<dataDir>/admin-password` (mode 0600); it is never logged.
 */
export async function ensureBootstrapAdmin(
  ds: DataSource,
  config: DingoConfig,
  log = new Logger('Auth'),
): Promise<void> {
  const users = ds.getRepository(UserEntity);
  const { adminUser, adminPassword } = config.auth;
  if ((await users.count()) > 0) {
    await warnIfPasswordIgnored(ds, config, log);
    return;
  }
  if (!adminPassword && config.mode === 'distributed')
    throw new StartupError(
      "DINGO_ADMIN_PASSWORD is required to create the first admin in distributed mode (a generated one would be written to one gateway's disk only)",
    );
  const password = adminPassword ?? randomBytes(18).toString('base64url');
  const now = Date.now();
  const id = randomUUID();
  const passwordHash = await hashPassword(password);
  try {
    await ds.transaction(async (tx) => {
      await tx.getRepository(UserEntity).insert({
        id,
        username: adminUser,
        displayName: 'Administrator',
        passwordHash,
        disabled: false,
        createdAt: now,
        updatedAt: now,
      });
      await tx.getRepository(GrantEntity).insert({
        id: randomUUID(),
        subjectType: 'user',
        subjectId: id,
        role: 'admin',
        repoType: '*',
        pattern: '*',
        createdAt: now,
        createdBy: null,
      });
    });
  } catch (err) {
    // Another gateway sharing the database created it first.
    if ((await users.count()) > 0) return;
    throw err;
  }
  if (adminPassword) {
    log.log(`Created the bootstrap admin "${adminUser}" with the password from auth.adminPassword`);
    return;
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const file = join(config.dataDir, ADMIN_PASSWORD_FILE);
  writeFileSync(file, password + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  log.warn(
    `Created the bootstrap admin "${adminUser}"; its generated password is in ${file} (mode 0600). Change it and delete the file.`,
  );
}

/**
 * DINGO_ADMIN_PASSWORD only creates the first admin. Set later (or changed), it would otherwise be
 * ignored in silence: say so when it does not match the admin's password.
 */
async function warnIfPasswordIgnored(ds: DataSource, config: DingoConfig, log: Logger): Promise<void> {
  const { adminUser, adminPassword } = config.auth;
  if (!adminPassword) return;
  const admin = await ds.getRepository(UserEntity).findOneBy({ username: adminUser });
  if (admin?.passwordHash && (await verifyPassword(adminPassword, admin.passwordHash))) return;
  log.warn(
    `DINGO_ADMIN_PASSWORD is set but was not applied: users exist already, and it is not "${adminUser}"'s password. Change passwords with POST /admin/v1/me/password (or /admin/v1/users/:id).`,
  );
}
