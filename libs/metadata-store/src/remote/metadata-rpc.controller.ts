import { Controller, Inject, Type } from '@nestjs/common';
import { MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { MetadataPort } from '../records';
import { ApiCacheWire, apiCacheFromWire, apiCacheToWire, metadataPatterns } from './metadata-patterns';

/** Injection token for the MetadataPort the controller serves (TypeOrmMetadataStore in the metadata app). */
export const METADATA_PORT = Symbol('MetadataPort');

type Args<K extends keyof MetadataPort> = Parameters<MetadataPort[K]>;

/**
 * Absent records travel as null (JSON has no undefined), and a failure as an RpcException with
 * the store's message: Nest would otherwise send the client only "Internal server error".
 */
async function answer<T>(work: Promise<T>): Promise<T | null> {
  try {
    return (await work) ?? null;
  } catch (err) {
    const { name, message } = err instanceof Error ? err : new Error(String(err));
    throw new RpcException({ status: 'error', name, message });
  }
}

/** Builds the controller for one namespace; the metadata app hosts it over the Redis transport. */
export function metadataRpcController(namespace?: string): Type<object> {
  const p = metadataPatterns(namespace);

  @Controller()
  class MetadataRpcController {
    constructor(@Inject(METADATA_PORT) private readonly meta: MetadataPort) {}

    @MessagePattern(p.getRevision) getRevision(@Payload() a: Args<'getRevision'>) {
      return answer(this.meta.getRevision(...a));
    }
    @MessagePattern(p.putRevision) putRevision(@Payload() a: Args<'putRevision'>) {
      return answer(this.meta.putRevision(...a));
    }
    @MessagePattern(p.getFile) getFile(@Payload() a: Args<'getFile'>) {
      return answer(this.meta.getFile(...a));
    }
    @MessagePattern(p.putFile) putFile(@Payload() a: Args<'putFile'>) {
      return answer(this.meta.putFile(...a));
    }
    @MessagePattern(p.getBlob) getBlob(@Payload() a: Args<'getBlob'>) {
      return answer(this.meta.getBlob(...a));
    }
    @MessagePattern(p.putBlob) putBlob(@Payload() a: Args<'putBlob'>) {
      return answer(this.meta.putBlob(...a));
    }
    @MessagePattern(p.setBlobState) setBlobState(@Payload() a: Args<'setBlobState'>) {
      return answer(this.meta.setBlobState(...a));
    }
    @MessagePattern(p.setChunkPlacement) setChunkPlacement(@Payload() a: Args<'setChunkPlacement'>) {
      return answer(this.meta.setChunkPlacement(...a));
    }
    @MessagePattern(p.storageUsage) storageUsage() {
      return answer(this.meta.storageUsage());
    }
    @MessagePattern(p.leastRecentChunks) leastRecentChunks(@Payload() a: Args<'leastRecentChunks'>) {
      return answer(this.meta.leastRecentChunks(...a));
    }
    @MessagePattern(p.touchBlobs) touchBlobs(@Payload() a: Args<'touchBlobs'>) {
      return answer(this.meta.touchBlobs(...a));
    }
    @MessagePattern(p.listPins) listPins() {
      return answer(this.meta.listPins());
    }
    @MessagePattern(p.putPin) putPin(@Payload() a: Args<'putPin'>) {
      return answer(this.meta.putPin(...a));
    }
    @MessagePattern(p.deletePin) deletePin(@Payload() a: Args<'deletePin'>) {
      return answer(this.meta.deletePin(...a));
    }
    @MessagePattern(p.pinnedBlobKeys) pinnedBlobKeys() {
      return answer(this.meta.pinnedBlobKeys());
    }
    @MessagePattern(p.getChunk) getChunk(@Payload() a: Args<'getChunk'>) {
      return answer(this.meta.getChunk(...a));
    }
    @MessagePattern(p.countChunks) countChunks(@Payload() a: Args<'countChunks'>) {
      return answer(this.meta.countChunks(...a));
    }
    @MessagePattern(p.scanChunks) scanChunks(@Payload() a: Args<'scanChunks'>) {
      return answer(this.meta.scanChunks(...a));
    }
    @MessagePattern(p.getManifest) getManifest(@Payload() a: Args<'getManifest'>) {
      return answer(this.meta.getManifest(...a));
    }
    @MessagePattern(p.putManifest) putManifest(@Payload() a: Args<'putManifest'>) {
      return answer(this.meta.putManifest(...a));
    }
    @MessagePattern(p.listChunks) listChunks(@Payload() a: Args<'listChunks'>) {
      return answer(this.meta.listChunks(...a));
    }
    @MessagePattern(p.putChunk) putChunk(@Payload() a: Args<'putChunk'>) {
      return answer(this.meta.putChunk(...a));
    }
    @MessagePattern(p.deleteChunk) deleteChunk(@Payload() a: Args<'deleteChunk'>) {
      return answer(this.meta.deleteChunk(...a));
    }
    @MessagePattern(p.getRepo) getRepo(@Payload() a: Args<'getRepo'>) {
      return answer(this.meta.getRepo(...a));
    }
    @MessagePattern(p.putRepo) putRepo(@Payload() a: Args<'putRepo'>) {
      return answer(this.meta.putRepo(...a));
    }
    @MessagePattern(p.ping) ping() {
      return answer(this.meta.ping());
    }

    @MessagePattern(p.getApiCache) getApiCache(@Payload() a: Args<'getApiCache'>) {
      return answer(this.meta.getApiCache(...a).then((r) => r && apiCacheToWire(r)));
    }

    @MessagePattern(p.putApiCache) putApiCache(@Payload() [wire]: [ApiCacheWire]) {
      return answer(this.meta.putApiCache(apiCacheFromWire(wire)));
    }
  }
  return MetadataRpcController;
}

/** The controller on the default (un-namespaced) patterns. */
export const MetadataRpcController = metadataRpcController();
