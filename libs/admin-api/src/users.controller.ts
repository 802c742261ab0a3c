import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequestAccess, Requires } from '@dingo/auth';
import { actorId, Caller, Load } from './caller';
import { CreateUserBody, UpdateUserBody } from './schemas';
import { UsersService } from './users.service';
import { openApiSchema, parseInput } from './validation';

@ApiTags('users')
@ApiBearerAuth()
@Controller('admin/v1/users')
export class UsersController {
  constructor(@Inject(UsersService) private readonly users: UsersService) {}

  @Get()
  @Requires('read', 'User')
  @ApiOperation({
    summary: 'Users the caller may see (admins: all; team admins: their members; others: themselves)',
  })
  list(@Caller() caller: RequestAccess) {
    return this.users.list(caller.ability);
  }

  @Post()
  @Requires('manage', 'User')
  @ApiOperation({ summary: 'Create a user (password optional: token-only users)' })
  @ApiBody({ schema: openApiSchema(CreateUserBody) })
  create(@Body() body: unknown) {
    return this.users.create(parseInput(CreateUserBody, body, 'body'));
  }

  @Get(':id')
  @Requires('read', 'User', Load.user)
  get(@Param('id') id: string) {
    return this.users.get(id);
  }

  @Patch(':id')
  @Requires('manage', 'User', Load.user)
  @ApiOperation({
    summary:
      'Change display name, password, or disable (disabled users cannot log in; their tokens stop working)',
  })
  @ApiBody({ schema: openApiSchema(UpdateUserBody) })
  update(@Param('id') id: string, @Body() body: unknown, @Caller() caller: RequestAccess) {
    return this.users.update(id, parseInput(UpdateUserBody, body, 'body'), actorId(caller));
  }

  @Delete(':id')
  @HttpCode(204)
  @Requires('manage', 'User', Load.user)
  @ApiOperation({ summary: 'Delete a user with their memberships, direct grants and tokens' })
  async remove(@Param('id') id: string, @Caller() caller: RequestAccess) {
    await this.users.remove(id, actorId(caller));
  }
}
