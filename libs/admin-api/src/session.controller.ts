import { Body, Controller, Get, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { PublicRoute } from '@dingo/contracts';
import { LoginService, RequestAccess, Requires } from '@dingo/auth';
import { actorId, Caller, Load } from './caller';
import { GrantsService } from './grants.service';
import { ChangePasswordBody, LoginBody } from './schemas';
import { UsersService } from './users.service';
import { openApiSchema, parseInput } from './validation';

@ApiTags('session')
@Controller('admin/v1')
export class SessionController {
  constructor(
    @Inject(LoginService) private readonly logins: LoginService,
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(GrantsService) private readonly grants: GrantsService,
  ) {}

  @Post('auth/login')
  @HttpCode(200)
  @PublicRoute()
  @ApiOperation({
    summary: 'Log in with username and password; returns an HS256 session JWT for the admin API',
  })
  @ApiBody({ schema: openApiSchema(LoginBody) })
  login(@Body() body: unknown, @Req() req: Request) {
    const { username, password } = parseInput(LoginBody, body, 'body');
    return this.logins.login(username, password, req.ip ?? '');
  }

  @Get('me')
  @Requires('read', 'User', Load.self)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The caller: user, teams and the grants that apply to them' })
  async me(@Caller() caller: RequestAccess) {
    const user = await this.users.get(actorId(caller)!);
    const teamIds = caller.principal.kind === 'user' ? caller.principal.teamIds : [];
    const direct = await this.grants.list(caller.ability, { userId: actorId(caller) });
    const viaTeams = (
      await Promise.all(teamIds.map((teamId) => this.grants.list(caller.ability, { teamId })))
    ).flat();
    return {
      ...user,
      tokenId: caller.principal.kind === 'user' ? (caller.principal.tokenId ?? null) : null,
      grants: [...direct, ...viaTeams],
      // What the web console shows (the API still checks every call).
      permissions: {
        admin: caller.ability.can('manage', 'all'),
        maintain: caller.ability.can('delete', 'Repo'),
        readPolicies: caller.ability.can('read', 'Policy'),
        readAudit: caller.ability.can('read', 'AuditEvent'),
        readStorage: caller.ability.can('read', 'Storage'),
      },
    };
  }

  @Post('me/password')
  @HttpCode(204)
  @Requires('read', 'User', Load.self)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Change your own password (needs the current one)' })
  @ApiBody({ schema: openApiSchema(ChangePasswordBody) })
  async changePassword(@Caller() caller: RequestAccess, @Body() body: unknown) {
    await this.users.changeOwnPassword(actorId(caller)!, parseInput(ChangePasswordBody, body, 'body'));
  }
}
