import { BadRequestException, NotFoundException } from '@nestjs/common';
import { HubError } from '@dingo/hub-protocol';
import { MetadataUnavailableError } from '@dingo/metadata-store';
import { UpstreamUnreachableError } from '@dingo/upstream';
import { toHubError } from './hub-error.filter';

describe('toHubError (every failure in the Hub wire format)', () => {
  it('keeps HubErrors as they are', () => {
    const err = HubError.entryNotFound('c'.repeat(40));
    expect(toHubError(err)).toBe(err);
  });

  it('maps mirror and upstream failures', () => {
    const refused = Object.assign(new Error('connect'), { code: 'ECONNREFUSED' });
    const timeout = Object.assign(new Error('headers'), { code: 'UND_ERR_HEADERS_TIMEOUT' });
    expect(toHubError(new UpstreamUnreachableError('https://hub.test', refused))).toMatchObject({
      status: 503,
      code: 'UpstreamUnavailable',
    });
    expect(toHubError(new UpstreamUnreachableError('https://hub.test', timeout))).toMatchObject({
      status: 504,
      code: 'GatewayTimeout',
    });
  });

  it("maps Nest's HTTP exceptions and body-parser errors", () => {
    expect(toHubError(new NotFoundException('nope'))).toMatchObject({ status: 404, code: 'NotFound' });
    expect(toHubError(new BadRequestException(['a', 'b']))).toMatchObject({
      status: 400,
      code: 'BadRequest',
      message: 'a; b',
    });
    const tooLarge = Object.assign(new Error('request entity too large'), { status: 413, expose: true });
    expect(toHubError(tooLarge)).toMatchObject({ status: 413, code: 'PayloadTooLarge' });
  });

  it('a metadata outage is 503; anything else a 500 that says nothing of the cause', () => {
    expect(toHubError(new MetadataUnavailableError('redis down'))).toMatchObject({ status: 503 });
    const internal = toHubError(new Error('secret path /etc/x'));
    expect(internal).toMatchObject({ status: 500, code: 'InternalError' });
    expect(internal.message).not.toContain('secret');
  });
});
