import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { RequestAccess, Requires } from '@dingo/auth';
import { actorId, Caller, Load } from './caller';
import { GrantsService } from './grants.service';
import { CreateGrantBody, CreateRoleBody, ListGrantsQuery } from './schemas';
import { openApiSchema, parseInput } from './validation';

@ApiTags('roles and grants')
@ApiBearerAuth()
@Controller('admin/v1')
export class GrantsController {
  constructor(@Inject(GrantsService) private readonly grants: GrantsService) {}

  @Get('roles')
  @Requires('read', 'Role')
  @ApiOperation({ summary: 'Built-in roles (reader, uploader, maintainer, admin) and custom ones' })
  roles() {
    return this.grants.listRoles();
  }

  @Post('roles')
  @Requires('manage', 'Role')
  @ApiOperation({ summary: 'Create a custom role from repo actions (read, list, upload, delete)' })
  @ApiBody({ schema: openApiSchema(CreateRoleBody) })
  createRole(@Body() body: unknown) {
    return this.grants.createRole(parseInput(CreateRoleBody, body, 'body'));
  }

  @Delete('roles/:name')
  @HttpCode(204)
  @Requires('manage', 'Role')
  async deleteRole(@Param('name') name: string) {
    await this.grants.deleteRole(name.slice(0, 64));
  }

  @Get('grants')
  @Requires('read', 'Grant', Load.grantsFilter)
  @ApiOperation({
    summary: "Grants the caller may see, optionally of one team or user (members see their teams' grants)",
  })
  @ApiQuery({ name: 'teamId', required: false })
  @ApiQuery({ name: 'userId', required: false })
  list(@Caller() caller: RequestAccess, @Query() query: unknown) {
    return this.grants.list(caller.ability, parseInput(ListGrantsQuery, query, 'query'));
  }

  @Post('grants')
  @Requires('manage', 'Grant')
  @ApiOperation({
    summary: 'Grant a role on repos matching a pattern ("*", "org/*", "org/name") to a team or a user',
  })
  @ApiBody({ schema: openApiSchema(CreateGrantBody) })
  create(@Body() body: unknown, @Caller() caller: RequestAccess) {
    return this.grants.create(parseInput(CreateGrantBody, body, 'body'), actorId(caller));
  }

  @Get('grants/:id')
  @Requires('read', 'Grant', Load.grant)
  get(@Param('id') id: string) {
    return this.grants.get(id);
  }

  @Delete('grants/:id')
  @HttpCode(204)
  @Requires('manage', 'Grant', Load.grant)
  async remove(@Param('id') id: string) {
    await this.grants.remove(id);
  }
}
