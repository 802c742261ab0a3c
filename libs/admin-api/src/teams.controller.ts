import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequestAccess, Requires } from '@dingo/auth';
import { Caller, Load } from './caller';
import { CreateTeamBody, PutMemberBody, UpdateTeamBody } from './schemas';
import { TeamsService } from './teams.service';
import { openApiSchema, parseInput } from './validation';

@ApiTags('teams')
@ApiBearerAuth()
@Controller('admin/v1/teams')
export class TeamsController {
  constructor(@Inject(TeamsService) private readonly teams: TeamsService) {}

  @Get()
  @Requires('read', 'Team')
  @ApiOperation({ summary: 'Teams the caller may see (admins: all; others: their own)' })
  list(@Caller() caller: RequestAccess) {
    return this.teams.list(caller.ability);
  }

  @Post()
  @Requires('manage', 'Team')
  @ApiBody({ schema: openApiSchema(CreateTeamBody) })
  create(@Body() body: unknown) {
    return this.teams.create(parseInput(CreateTeamBody, body, 'body'));
  }

  @Get(':id')
  @Requires('read', 'Team', Load.team)
  get(@Param('id') id: string) {
    return this.teams.get(id);
  }

  @Patch(':id')
  @Requires('manage', 'Team', Load.team)
  @ApiBody({ schema: openApiSchema(UpdateTeamBody) })
  update(@Param('id') id: string, @Body() body: unknown) {
    return this.teams.update(id, parseInput(UpdateTeamBody, body, 'body'));
  }

  @Delete(':id')
  @HttpCode(204)
  @Requires('manage', 'Team', Load.team)
  @ApiOperation({ summary: 'Delete a team with its memberships and grants' })
  async remove(@Param('id') id: string) {
    await this.teams.remove(id);
  }

  @Get(':id/members')
  @Requires('read', 'Membership', Load.teamMembers)
  members(@Param('id') id: string) {
    return this.teams.listMembers(id);
  }

  @Put(':id/members/:userId')
  @Requires('manage', 'Membership', Load.membership)
  @ApiOperation({
    summary: 'Add a user to the team, or change their team-admin flag (admins and team admins)',
  })
  @ApiBody({ schema: openApiSchema(PutMemberBody) })
  putMember(@Param('id') id: string, @Param('userId') userId: string, @Body() body: unknown) {
    return this.teams.putMember(id, userId, parseInput(PutMemberBody, body ?? {}, 'body'));
  }

  @Delete(':id/members/:userId')
  @HttpCode(204)
  @Requires('delete', 'Membership', Load.membership)
  async removeMember(@Param('id') id: string, @Param('userId') userId: string) {
    await this.teams.removeMember(id, userId);
  }
}
