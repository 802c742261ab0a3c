import { Client } from 'minio';
import { chunkName } from '@dingo/chunk-store';

/**
 * The chunk objects a distributed gateway reads for one blob, as presigned GET URLs on the very
 * S3 server it uses: `curl` over them in order (one keep-alive connection per client) is the raw
 * S3 read speed the gateway's cache hits are compared with. The objects are found by the store's
 * own naming (`chunkName`, no key prefix in the bench's deployments) and must add up to the file.
 */
export async function chunkObjectUrls(s3Url: string, blob: string, size: number): Promise<string[]> {
  const u = new URL(s3Url);
  const bucket = u.pathname.split('/').filter(Boolean)[0];
  const client = new Client({
    endPoint: u.hostname,
    port: Number(u.port),
    useSSL: u.searchParams.get('ssl') !== 'false',
    accessKey: decodeURIComponent(u.username),
    secretKey: decodeURIComponent(u.password),
    region: 'us-east-1',
    pathStyle: true,
  });
  const urls: string[] = [];
  let total = 0;
  for (let index = 0; total < size; index++) {
    const name = chunkName({ blob, index });
    try {
      total += (await client.statObject(bucket, name)).size;
    } catch (err) {
      throw new Error(
        `chunk object ${name} of a cached file is not in bucket ${bucket}: ${(err as Error).message}`,
      );
    }
    // Signed like the gateway's own requests, so s3rver checks a signature on both sides.
    urls.push(await client.presignedGetObject(bucket, name, 24 * 3600));
  }
  if (total !== size) throw new Error(`the chunk objects of ${blob} hold ${total} bytes, not ${size}`);
  return urls;
}
