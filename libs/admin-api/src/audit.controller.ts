import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Requires } from '@dingo/auth';
import { AuditQueryService } from './audit-query.service';
import { AuditQuery } from './schemas';
import { parseInput } from './validation';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('admin/v1/audit')
export class AuditController {
  constructor(@Inject(AuditQueryService) private readonly audit: AuditQueryService) {}

  @Get()
  @Requires('read', 'AuditEvent')
  @ApiOperation({ summary: 'Audit events, newest first; page with `cursor` = the previous `nextCursor`' })
  @ApiQuery({ name: 'from', required: false, description: 'epoch ms or ISO 8601, inclusive' })
  @ApiQuery({ name: 'to', required: false, description: 'epoch ms or ISO 8601, exclusive' })
  @ApiQuery({ name: 'userId', required: false })
  @ApiQuery({ name: 'repo', required: false, description: 'exact repo id, or "namespace/*"' })
  @ApiQuery({
    name: 'action',
    required: false,
    enum: ['download', 'upload', 'delete', 'manage', 'login', 'denied'],
  })
  @ApiQuery({ name: 'limit', required: false, description: '1-1000, default 100' })
  @ApiQuery({ name: 'cursor', required: false })
  query(@Query() query: unknown) {
    return this.audit.query(parseInput(AuditQuery, query, 'query'));
  }
}
