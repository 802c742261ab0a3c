import { HubSimulator } from '@dingo/hub-simulator';
import {
  ServiceProcess,
  startS3,
  startService,
  tempDir,
  tempMysqlDatabase,
  uniqueNamespace,
} from '@dingo/testing';

export const MiB = 1024 * 1024;
export const REDIS_URL = 'redis://127.0.0.1:6379/0';

/**
 * The four services as separate processes on MariaDB, Redis and s3rver, in front of the upstream
 * simulator: metadata, one sync-worker and two gateways.
 */
export async function startCluster(
  simOptions: Partial<Parameters<typeof HubSimulator.start>[0]> = {},
  /** More settings for every service (e.g. DINGO_LOCAL_NAMESPACES). */
  extraEnv: Record<string, string> = {},
) {
  const simDir = tempDir('dsim');
  const sim = await HubSimulator.start({ dataDir: simDir.path, ...simOptions });
  const s3 = await startS3();
  const db = await tempMysqlDatabase('dingo_e2e');
  const namespace = uniqueNamespace('e2e');
  const dirs = [tempDir('dgw-a'), tempDir('dgw-b'), tempDir('dworker'), tempDir('dmeta')];
  const env = (dataDir: string): Record<string, string> => ({
    DINGO_MODE: 'distributed',
    DINGO_UPSTREAMS: sim.url,
    DINGO_UPSTREAM_ALLOW_PRIVATE: sim.cdnUrl,
    DINGO_DB_TYPE: 'mysql',
    DINGO_DB_URL: db.url,
    DINGO_REDIS_URL: REDIS_URL,
    DINGO_S3_URL: s3.url(`chunks-${namespace}`),
    DINGO_NAMESPACE: namespace,
    DINGO_CHUNK_SIZE: '1MB',
    DINGO_DATA_DIR: dataDir,
    DINGO_CLUSTER_LOCK_TTL_MS: '3000',
    DINGO_ADMIN_PASSWORD: 'cluster-admin-password',
    DINGO_JWT_SECRET: 'a-shared-jwt-secret-for-both-gateways-0123456789',
    ...extraEnv,
  });
  const services: ServiceProcess[] = [];
  const cluster = {
    sim,
    services,
    env,
    dirs,
    metadata: undefined as unknown as ServiceProcess,
    worker: undefined as unknown as ServiceProcess,
    gatewayA: undefined as unknown as ServiceProcess,
    gatewayB: undefined as unknown as ServiceProcess,
    async startWorker(): Promise<ServiceProcess> {
      cluster.worker = await startService('sync-worker', env(dirs[2].path), {
        args: ['--max-concurrent', '8'],
      });
      services.push(cluster.worker);
      return cluster.worker;
    },
    async close() {
      // As a rollout would: front ends and workers first, then the metadata replicas they call.
      const last = services.filter((s) => s.name === 'metadata');
      await Promise.all(services.filter((s) => !last.includes(s)).map((s) => s.stop()));
      await Promise.all(last.map((s) => s.stop()));
      await sim.stop();
      await s3.close();
      await db.drop();
      for (const d of [simDir, ...dirs]) d.cleanup();
    },
  };
  try {
    cluster.metadata = await startService('metadata', env(dirs[3].path));
    services.push(cluster.metadata);
    await cluster.startWorker();
    [cluster.gatewayA, cluster.gatewayB] = await Promise.all([
      startService('gateway', env(dirs[0].path), { name: 'gateway-a' }),
      startService('gateway', env(dirs[1].path), { name: 'gateway-b' }),
    ]);
    services.push(cluster.gatewayA, cluster.gatewayB);
  } catch (err) {
    await cluster.close();
    throw err;
  }
  return cluster;
}

export type Cluster = Awaited<ReturnType<typeof startCluster>>;
