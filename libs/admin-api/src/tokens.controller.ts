import { Body, Controller, Delete, Get, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { RequestAccess, Requires } from '@dingo/auth';
import { actorId, Caller, Load } from './caller';
import { CreateTokenBody, ListTokensQuery } from './schemas';
import { TokensService } from './tokens.service';
import { openApiSchema, parseInput } from './validation';

@ApiTags('tokens')
@ApiBearerAuth()
@Controller('admin/v1/tokens')
export class TokensController {
  constructor(@Inject(TokensService) private readonly tokens: TokensService) {}

  @Get()
  @Requires('read', 'Token', Load.tokensFilter)
  @ApiOperation({ summary: "Tokens the caller may see (own; team admins: their members'; admins: all)" })
  @ApiQuery({ name: 'userId', required: false })
  @ApiQuery({ name: 'includeRevoked', required: false, enum: ['true', 'false'] })
  list(@Caller() caller: RequestAccess, @Query() query: unknown) {
    const q = parseInput(ListTokensQuery, query, 'query');
    return this.tokens.list(caller.ability, {
      userId: q.userId,
      includeRevoked: q.includeRevoked === 'true',
    });
  }

  @Post()
  @Requires('manage', 'Token', Load.newTokenOwner)
  @ApiOperation({
    summary:
      'Issue a personal access token (dgo_…) for yourself, or (admins) for a user; the secret is returned once',
  })
  @ApiBody({ schema: openApiSchema(CreateTokenBody) })
  create(@Body() body: unknown, @Caller() caller: RequestAccess) {
    const input = parseInput(CreateTokenBody, body, 'body');
    return this.tokens.create(input, input.userId ?? actorId(caller)!, actorId(caller));
  }

  @Get(':id')
  @Requires('read', 'Token', Load.token)
  get(@Param('id') id: string) {
    return this.tokens.get(id);
  }

  @Delete(':id')
  @Requires('delete', 'Token', Load.token)
  @ApiOperation({ summary: 'Revoke a token (effective immediately)' })
  revoke(@Param('id') id: string) {
    return this.tokens.revoke(id);
  }
}
