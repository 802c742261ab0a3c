import { DynamicModule, Inject, Module, OnModuleInit } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { DingoConfig } from '@dingo/config';
import { AUDIT_SINK } from '@dingo/contracts';
import { AbilityCache } from './ability-cache';
import { AccessDirectory } from './access-directory';
import { AccessGuard } from './access.guard';
import { AuditInterceptor } from './audit.interceptor';
import { AuditLog } from './audit-log';
import { ensureBootstrapAdmin } from './bootstrap-admin';
import { CredentialVerifier } from './credential-verifier';
import { LoginService } from './login-service';
import { RepoPolicyBook } from './repo-policy';
import { resolveJwtSecret, SessionTokens } from './session-tokens';
import { SubjectLoader } from './subject-loader';
import { AccessSettings } from './upstream-credentials';

/** The metadata DataSource, opened with AUTH_ENTITIES and AUTH_MIGRATIONS among its extras. */
export const ACCESS_DATA_SOURCE = Symbol('ACCESS_DATA_SOURCE');
export const ACCESS_CONFIG = Symbol('ACCESS_CONFIG');

export interface AccessModuleOptions {
  config: DingoConfig;
  dataSource: () => Promise<DataSource>;
}

/** Creates the bootstrap admin once the schema is there, before the app takes requests. */
class BootstrapAdmin implements OnModuleInit {
  constructor(
    @Inject(ACCESS_DATA_SOURCE) private readonly ds: DataSource,
    @Inject(ACCESS_CONFIG) private readonly config: DingoConfig,
  ) {}

  onModuleInit(): Promise<void> {
    return ensureBootstrapAdmin(this.ds, this.config);
  }
}

/**
 * Identity and access for the whole app (global): the AccessGuard on every route, the audit log
 * (also the Hub surface's AUDIT_SINK), and the services the admin API builds on.
 */
@Module({})
export class AccessModule {
  static forRoot({ config, dataSource }: AccessModuleOptions): DynamicModule {
    const withDs = <T>(make: (ds: DataSource) => T) => ({ useFactory: make, inject: [ACCESS_DATA_SOURCE] });
    const ttlMs = 5000;
    return {
      module: AccessModule,
      global: true,
      providers: [
        { provide: ACCESS_DATA_SOURCE, useFactory: dataSource },
        { provide: ACCESS_CONFIG, useValue: config },
        { provide: AccessSettings, useValue: AccessSettings.fromConfig(config) },
        {
          provide: SessionTokens,
          useFactory: () => new SessionTokens(resolveJwtSecret(config), config.auth.jwtTtlSeconds),
        },
        { provide: AccessDirectory, ...withDs((ds) => new AccessDirectory(ds, ttlMs)) },
        {
          provide: RepoPolicyBook,
          ...withDs((ds) => new RepoPolicyBook(ds, config.auth.policyDefault, ttlMs)),
        },
        { provide: SubjectLoader, ...withDs((ds) => new SubjectLoader(ds)) },
        { provide: AuditLog, ...withDs((ds) => new AuditLog(ds)) },
        { provide: AUDIT_SINK, useExisting: AuditLog },
        {
          provide: CredentialVerifier,
          useFactory: (d: AccessDirectory, s: SessionTokens) => new CredentialVerifier(d, s.secret),
          inject: [AccessDirectory, SessionTokens],
        },
        {
          provide: AbilityCache,
          useFactory: (d: AccessDirectory, s: AccessSettings) => new AbilityCache(d, s),
          inject: [AccessDirectory, AccessSettings],
        },
        {
          provide: LoginService,
          useFactory: (ds: DataSource, s: SessionTokens, a: AuditLog) => new LoginService(ds, s, a),
          inject: [ACCESS_DATA_SOURCE, SessionTokens, AuditLog],
        },
        BootstrapAdmin,
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
      ],
      exports: [
        ACCESS_DATA_SOURCE,
        ACCESS_CONFIG,
        AccessSettings,
        SessionTokens,
        AccessDirectory,
        RepoPolicyBook,
        SubjectLoader,
        AuditLog,
        AUDIT_SINK,
        CredentialVerifier,
        AbilityCache,
        LoginService,
      ],
    };
  }
}
