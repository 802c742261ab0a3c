import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { assertUuid, RequestAccess, Requires } from '@dingo/auth';
import { actorId, Caller } from './caller';
import { PoliciesService } from './policies.service';
import { CreatePolicyBody, PolicyCheckQuery } from './schemas';
import { openApiSchema, parseInput } from './validation';

@ApiTags('policies')
@ApiBearerAuth()
@Controller('admin/v1/policies')
export class PoliciesController {
  constructor(@Inject(PoliciesService) private readonly policies: PoliciesService) {}

  @Get()
  @Requires('read', 'Policy')
  @ApiOperation({ summary: 'Upstream repo allow/deny rules and the default (auth.policyDefault)' })
  list() {
    return this.policies.list();
  }

  @Get('check')
  @Requires('read', 'Policy')
  @ApiOperation({
    summary: 'Dry run: would the rules let this upstream repo in? Answers the verdict and the deciding rule',
  })
  @ApiQuery({ name: 'type', required: false, enum: ['model', 'dataset', 'space'] })
  @ApiQuery({ name: 'repo', required: true, description: 'namespace/name' })
  check(@Query() query: unknown) {
    return this.policies.check(parseInput(PolicyCheckQuery, query, 'query'));
  }

  @Post()
  @Requires('manage', 'Policy')
  @ApiOperation({ summary: 'Allow or deny upstream repos matching a pattern (a matching deny wins)' })
  @ApiBody({ schema: openApiSchema(CreatePolicyBody) })
  create(@Body() body: unknown, @Caller() caller: RequestAccess) {
    return this.policies.create(parseInput(CreatePolicyBody, body, 'body'), actorId(caller));
  }

  @Delete(':id')
  @HttpCode(204)
  @Requires('manage', 'Policy')
  async remove(@Param('id') id: string) {
    await this.policies.remove(assertUuid(id, 'id'));
  }
}
