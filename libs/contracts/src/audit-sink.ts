/** Where the Hub surface reports file transfers; the auth lib provides the real audit log. */
export const AUDIT_SINK = Symbol('AUDIT_SINK');

export interface TransferEvent {
  action: 'download';
  repoType: string;
  repoId: string;
  revision: string;
  commit: string;
  path: string;
  bytes: number;
  status: number;
  clientIp: string;
  userId?: string;
  tokenId?: string;
  /** True when the transfer ended before all bytes were sent. */
  aborted: boolean;
}

export interface AuditSink {
  record(event: TransferEvent): void;
}
