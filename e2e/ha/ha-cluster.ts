import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pythonOf } from '@dingo/test-infra';
import { LabProcess, LabUnavailableError, NetnsLab } from './netns-lab';

export const ROOT = join(__dirname, '..', '..');
const NODE = [process.execPath, '-r', '@swc-node/register'];
/** The addresses of deploy/keepalived's configs (192.0.2.0/24 is a documentation range), used as they are. */
export const ADDR = {
  infra: '192.0.2.2',
  a: '192.0.2.11',
  b: '192.0.2.12',
  client: '192.0.2.50',
  vip: '192.0.2.100',
};
export type Node = 'a' | 'b';
export const NODES: Node[] = ['a', 'b'];
export const VIP_URL = `http://${ADDR.vip}:8090`;

export interface InfraInfo {
  s3Port: number;
  simUrl: string;
  /** The simulator's CDN origin, inside the lab: the gateways must be allowed to fetch from it. */
  cdnUrl: string;
  files: Record<string, { sha256: string; size: number }>;
}

export interface ProbeEvent {
  t: number;
  ok: boolean;
  detail: string;
}

const secret = (bytes: number) => randomBytes(bytes).toString('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the suite needs besides root and namespaces; each missing piece is named in the failure. */
export function preflight(): { python: string } {
  const missing: string[] = [];
  const has = (cmd: string) => {
    try {
      execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  for (const cmd of [
    'keepalived',
    'mariadbd',
    'mariadb-install-db',
    'mariadb',
    'redis-server',
    'curl',
    'tc',
    'ss',
    'iptables',
  ]) {
    if (!has(cmd)) missing.push(cmd);
  }
  try {
    execFileSync('id', ['keepalived_script'], { stdio: 'ignore' });
  } catch {
    missing.push('the keepalived_script user (useradd -r -M -s /usr/sbin/nologin keepalived_script)');
  }
  let python: string | undefined;
  try {
    python = process.env.DINGO_PYTHON || pythonOf('hub2');
    execFileSync(python, ['-c', 'import huggingface_hub'], { stdio: 'ignore' });
  } catch (err) {
    missing.push(`a python with huggingface_hub: ${(err as Error).message.split('\n')[0]}`);
  }
  if (missing.length)
    throw new LabUnavailableError(`the HA suite cannot run here; missing: ${missing.join('; ')}`);
  return { python: python! };
}

/**
 * The HA lab: a switch, an "infra" host (MariaDB, Redis, s3rver and the upstream simulator, all
 * private to the lab), two gateway nodes each running metadata, sync-worker, gateway and
 * Keepalived with the configs of deploy/keepalived, and a client host whose link is shaped so
 * downloads last long enough to be caught by a failover.
 */
export class HaCluster {
  readonly apps = new Map<string, LabProcess>();
  readonly keepalived = new Map<Node, LabProcess>();
  readonly probe: ProbeEvent[] = [];
  infra!: InfraInfo;
  private env!: Record<string, string>;
  private readonly scriptDir: string;
  private readonly authPass = secret(4);

  private constructor(
    readonly lab: NetnsLab,
    readonly dir: string,
    readonly python: string,
  ) {
    // Keepalived refuses scripts in a directory a non-root user could write to (/tmp): /run.
    this.scriptDir = mkdtempSync('/run/dingo-ha-');
    chmodSync(this.scriptDir, 0o755);
  }

  static async start(): Promise<HaCluster> {
    const { python } = preflight();
    const dir = mkdtempSync(join(tmpdir(), 'dingo-ha-'));
    const lab = await NetnsLab.create(dir);
    const c = new HaCluster(lab, dir, python);
    try {
      await c.network();
      await c.startInfra();
      await c.startNodes();
      await c.startKeepalived();
      c.startProbe();
    } catch (err) {
      await c.close();
      throw err;
    }
    return c;
  }

  private async network(): Promise<void> {
    for (const h of ['sw', 'infra', 'a', 'b', 'cl']) await this.lab.addHost(h);
    await this.lab.connect('sw', [
      { host: 'infra', address: ADDR.infra },
      { host: 'a', address: ADDR.a },
      { host: 'b', address: ADDR.b },
      // 48 Mbit/s to the client: a 40 MiB download takes ~7 s, long enough to fail over under it.
      { host: 'cl', address: ADDR.client, shape: '48mbit' },
    ]);
    // As deploy/keepalived/README.md asks of gateway nodes: answer ARP only for addresses on the
    // interface asked, and announce with the interface's own address (the notify script relies on it).
    for (const n of NODES) {
      for (const [k, v] of [
        ['net.ipv4.conf.all.arp_ignore', '1'],
        ['net.ipv4.conf.all.arp_announce', '2'],
      ])
        await this.lab.run(n, ['sysctl', '-q', '-w', `${k}=${v}`]);
    }
  }

  private async startInfra(): Promise<void> {
    const db = join(this.dir, 'mariadb');
    mkdirSync(db);
    execFileSync(
      'mariadb-install-db',
      [
        '--no-defaults',
        `--datadir=${join(db, 'data')}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        '--user=root',
      ],
      { stdio: 'ignore' },
    );
    const socket = join(db, 'sock');
    const mariadb = this.lab.spawn('infra', 'mariadb', [
      'mariadbd',
      '--no-defaults',
      '--user=root',
      `--datadir=${join(db, 'data')}`,
      `--socket=${socket}`,
      `--pid-file=${join(db, 'pid')}`,
      `--bind-address=${ADDR.infra}`,
      '--port=3306',
      '--skip-name-resolve',
      '--skip-log-bin',
      '--innodb-buffer-pool-size=64M',
      '--innodb-log-file-size=32M',
      '--innodb-flush-log-at-trx-commit=2',
    ]);
    const redisPassword = secret(24);
    this.lab.spawn('infra', 'redis', [
      'redis-server',
      '--bind',
      ADDR.infra,
      '--port',
      '6379',
      '--save',
      '',
      '--appendonly',
      'no',
      '--requirepass',
      redisPassword,
    ]);
    const host = this.lab.spawn(
      'infra',
      'infra-host',
      [...NODE, join(__dirname, 'infra-host.ts'), ADDR.infra, join(this.dir, 'infra')],
      {},
      ROOT,
    );
    const dbPassword = secret(24);
    await this.until('MariaDB', 30_000, async () => {
      if (mariadb.child.exitCode !== null) throw new Error(`mariadbd exited:\n${mariadb.output()}`);
      return (
        (await this.lab.status('infra', ['mariadb', `--socket=${socket}`, '-u', 'root', '-e', 'SELECT 1']))
          .code === 0
      );
    });
    await this.lab.run('infra', [
      'mariadb',
      `--socket=${socket}`,
      '-u',
      'root',
      '-e',
      `CREATE DATABASE dingo CHARACTER SET utf8mb4; CREATE USER 'dingo'@'%' IDENTIFIED BY '${dbPassword}'; GRANT ALL ON dingo.* TO 'dingo'@'%';`,
    ]);
    await this.until('the infra host (s3rver, simulator)', 60_000, async () => {
      if (host.child.exitCode !== null) throw new Error(`infra-host exited:\n${host.output()}`);
      return host.output().includes('"simUrl"');
    });
    this.infra = JSON.parse(
      host
        .output()
        .split('\n')
        .find((l) => l.includes('"simUrl"'))!,
    ) as InfraInfo;
    this.env = {
      DINGO_MODE: 'distributed',
      DINGO_UPSTREAMS: this.infra.simUrl,
      DINGO_UPSTREAM_ALLOW_PRIVATE: this.infra.cdnUrl,
      DINGO_DB_TYPE: 'mysql',
      DINGO_DB_URL: `mysql://dingo:${dbPassword}@${ADDR.infra}:3306/dingo`,
      DINGO_REDIS_URL: `redis://:${redisPassword}@${ADDR.infra}:6379/0`,
      DINGO_S3_URL: `s3://S3RVER:S3RVER@${ADDR.infra}:${this.infra.s3Port}/chunks?ssl=false`,
      DINGO_NAMESPACE: 'ha',
      DINGO_CHUNK_SIZE: '4MB',
      DINGO_CLUSTER_LOCK_TTL_MS: '5000',
      // Random and long, as the distributed mode will require of real deployments.
      DINGO_JWT_SECRET: secret(32),
      DINGO_ADMIN_PASSWORD: secret(16),
      DINGO_LOG_LEVEL: 'warn',
    };
  }

  private async startNodes(): Promise<void> {
    // Both metadata replicas at once: the migration lock lets only one migrate.
    await Promise.all(NODES.map((n) => this.startApp(n, 'metadata')));
    await Promise.all(NODES.map((n) => this.startApp(n, 'sync-worker')));
    await Promise.all(NODES.map((n) => this.startApp(n, 'gateway')));
  }

  static readonly PORTS = { gateway: 8090, metadata: 8092, 'sync-worker': 8093 } as const;

  /** Starts (or restarts) one app on a node and waits until it is ready. */
  async startApp(node: Node, app: keyof typeof HaCluster.PORTS): Promise<LabProcess> {
    const port = HaCluster.PORTS[app];
    const dataDir = join(this.dir, `${app}-${node}`);
    mkdirSync(dataDir, { recursive: true });
    const proc = this.lab.spawn(
      node,
      `${app}-${node}`,
      [...NODE, join(ROOT, 'apps', app, 'src', 'main.ts')],
      {
        ...this.env,
        DINGO_DATA_DIR: dataDir,
        DINGO_PORT: String(port),
        DINGO_HOST: app === 'gateway' ? '0.0.0.0' : '127.0.0.1',
      },
      ROOT,
    );
    this.apps.set(`${app}-${node}`, proc);
    await this.until(`${app} on ${node}`, 90_000, async () => {
      if (proc.child.exitCode !== null) throw new Error(`${app} on ${node} exited:\n${proc.output()}`);
      return (await this.ready(node, port)) === 200;
    });
    return proc;
  }

  /** HTTP status of a node's local /health/ready (0 when nothing answers). */
  async ready(node: Node, port = 8090): Promise<number> {
    const r = await this.lab.status(node, [
      'curl',
      '-s',
      '-o',
      '/dev/null',
      '-m',
      '2',
      '-w',
      '%{http_code}',
      `http://127.0.0.1:${port}/health/ready`,
    ]);
    return Number(r.stdout) || 0;
  }

  app(name: string): LabProcess {
    return this.apps.get(name)!;
  }

  // ---------------------------------------------------------------------------------- Keepalived

  private renderConfig(node: Node): string {
    const text = readFileSync(join(ROOT, 'deploy', 'keepalived', `keepalived-gateway-${node}.conf`), 'utf8');
    // Only paths and the password change: interface names and addresses are the lab's own.
    return text
      .replaceAll('/etc/keepalived/', `${this.scriptDir}/`)
      .replace('auth_pass CHANGEME', `auth_pass ${this.authPass}`);
  }

  private async startKeepalived(): Promise<void> {
    for (const s of ['check_gateway.sh', 'dingo_notify.sh']) {
      copyFileSync(join(ROOT, 'deploy', 'keepalived', s), join(this.scriptDir, s));
      chmodSync(join(this.scriptDir, s), 0o755);
    }
    for (const n of NODES)
      writeFileSync(join(this.scriptDir, `keepalived-${n}.conf`), this.renderConfig(n), { mode: 0o644 });
    // A first, so the election is deterministic; B joins as backup.
    this.runKeepalived('a');
    await this.waitForVip('a', 20_000);
    this.runKeepalived('b');
    await this.until('keepalived on b to become BACKUP', 20_000, async () =>
      /Entering BACKUP STATE/.test(this.keepalived.get('b')!.output()),
    );
  }

  configPath(node: Node): string {
    return join(this.scriptDir, `keepalived-${node}.conf`);
  }

  runKeepalived(node: Node): LabProcess {
    const d = this.scriptDir;
    const proc = this.lab.spawn(node, `keepalived-${node}`, [
      'keepalived',
      '--dont-fork',
      '--log-console',
      '--log-detail',
      '--vrrp',
      '-f',
      join(d, `keepalived-${node}.conf`),
      '-p',
      join(d, `keepalived-${node}.pid`),
      '-r',
      join(d, `vrrp-${node}.pid`),
      '-c',
      join(d, `checkers-${node}.pid`),
    ]);
    this.keepalived.set(node, proc);
    return proc;
  }

  /** Which node has the VIP on its interface right now. */
  async vipHolders(): Promise<Node[]> {
    const holders: Node[] = [];
    for (const n of NODES) {
      const { stdout } = await this.lab.run(n, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
      if (stdout.includes(` ${ADDR.vip}/`)) holders.push(n);
    }
    return holders;
  }

  async waitForVip(node: Node, timeoutMs: number): Promise<void> {
    await this.until(`the VIP on ${node}`, timeoutMs, async () => {
      const h = await this.vipHolders();
      return h.length === 1 && h[0] === node;
    });
  }

  /** The MAC the client's ARP cache has for the VIP (undefined when it has none). */
  async clientVipMac(): Promise<string | undefined> {
    const { stdout } = await this.lab.run('cl', ['ip', 'neigh', 'show', ADDR.vip]);
    return /lladdr (\S+)/.exec(stdout)?.[1];
  }

  /** Cuts (or restores) VRRP between the nodes only; clients still reach both. */
  async vrrpBetweenNodes(blocked: boolean): Promise<void> {
    for (const n of NODES) {
      await this.lab.run(n, ['iptables', blocked ? '-I' : '-D', 'INPUT', '-p', 'vrrp', '-j', 'DROP']);
    }
  }

  // ---------------------------------------------------------------------------------- client side

  private startProbe(): void {
    const p = this.lab.spawn(
      'cl',
      'vip-probe',
      [...NODE, join(__dirname, 'vip-probe.ts'), `${VIP_URL}/health/ready`, '40', '250'],
      {},
      ROOT,
    );
    let buf = '';
    p.child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('{')) this.probe.push(JSON.parse(line) as ProbeEvent);
      }
    });
  }

  /** Waits until the probe has answered 200 steadily for `stableMs`, and returns when that began. */
  async vipAnswering(timeoutMs = 20_000, stableMs = 500): Promise<number> {
    let since = 0;
    await this.until('the VIP to answer', timeoutMs, async () => {
      const last = this.probe.at(-1);
      if (!last?.ok) return false;
      since = last.t;
      return Date.now() - last.t >= stableMs;
    });
    return since;
  }

  /**
   * How long after `t0` clients could not get an answer from the VIP: from t0 to the probe's first
   * success after its last failure; 0 when no probe failed.
   */
  outageAfter(t0: number): { outageMs: number; failures: string[] } {
    const before = this.probe.filter((e) => e.t < t0).at(-1);
    const after = this.probe.filter((e) => e.t >= t0);
    // Already failing at t0 (the probe reports changes only): that failure counts from t0.
    if (before && !before.ok) after.unshift({ ...before, t: t0 });
    const failures = after.filter((e) => !e.ok);
    if (failures.length === 0) return { outageMs: 0, failures: [] };
    const lastFailure = failures.at(-1)!;
    const recovered = after.find((e) => e.ok && e.t > lastFailure.t);
    if (!recovered)
      throw new Error(`the VIP has not answered since ${new Date(lastFailure.t).toISOString()}`);
    return { outageMs: recovered.t - t0, failures: [...new Set(failures.map((f) => f.detail))] };
  }

  /** Starts `curl` downloading `path` through the VIP into `out` (no retries: a failover cuts it). */
  curlDownload(path: string, out: string, extra: string[] = []): LabProcess {
    return this.lab.spawn('cl', `curl-${Date.now()}`, [
      'curl',
      '-sS',
      '-f',
      '-o',
      out,
      '--connect-timeout',
      '2',
      ...extra,
      `${VIP_URL}/${path}`,
    ]);
  }

  async until(what: string, timeoutMs: number, cond: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await cond()) return;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(100);
    }
  }

  async close(): Promise<void> {
    await this.lab.teardown();
    rmSync(this.scriptDir, { recursive: true, force: true });
    if (!process.env.DINGO_HA_KEEP_LOGS) rmSync(this.dir, { recursive: true, force: true });
  }
}
