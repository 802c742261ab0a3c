/**
 * Validates the deployment files without a Docker engine or a cluster: everything parses, the
 * compose file passes the official Compose schema, the Kubernetes manifests reference each other
 * consistently, the Keepalived pair agrees, and alerts/dashboards only use metrics the services
 * export. Behavioural checks run the real health-check scripts against a local HTTP server.
 * Checks that need promtool, shellcheck or a Compose CLI run when those tools are installed and
 * are skipped (with a console warning) otherwise.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import { stringify } from 'yaml';
import { loadConfig } from '@dingo/config';
import { allStrings, interpolate, mapStrings, variablesIn } from './compose-interpolation';
import {
  configEnvKeys,
  listFiles,
  parseEnvFile,
  parseYaml,
  parseYamlDocuments,
  read,
  ROOT,
  parseEnvText,
} from './deploy-files';
import { execForm, isIgnored, parseDockerfile, parseDockerignore } from './dockerfile';
import { find, KeepalivedNode, parseKeepalived, value } from './keepalived-conf';
import { checkManifests, containersOf, isWorkload, K8sObject, Manifest } from './k8s-manifests';
import { metricNamesIn } from './promql';
import { scrapeGatewayMetrics, seriesNames } from './scraped-metrics';

// ---------------------------------------------------------------------------------------------
// What the deployment must run: one image, four apps, each on its port.
// `main` is what the image runs: the source compiled by scripts/build.js.
const APPS: Record<string, { source: string; main: string; port: number }> = Object.fromEntries(
  Object.entries({ gateway: 8090, 'mirror-edge': 8091, metadata: 8092, 'sync-worker': 8093 }).map(
    ([app, port]) => [app, { source: `apps/${app}/src/main.ts`, main: `dist/apps/${app}/src/main.js`, port }],
  ),
);
const COMPOSE_DINGO_SERVICES: Record<string, keyof typeof APPS> = {
  metadata: 'metadata',
  'sync-worker': 'sync-worker',
  'gateway-a': 'gateway',
  'gateway-b': 'gateway',
  'mirror-edge': 'mirror-edge',
};
const NODE_IMAGE = 'node:20-bookworm-slim';

function appOfCommand(command: unknown): keyof typeof APPS | undefined {
  const cmd = command as string[];
  if (!Array.isArray(cmd) || cmd.length !== 2 || cmd[0] !== 'node') return undefined;
  return (Object.keys(APPS) as (keyof typeof APPS)[]).find((a) => APPS[a].main === cmd[1]);
}

function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

/** promtool: DINGO_PROMTOOL, on PATH, or where scripts/test-prereqs.sh puts it. */
function promtoolPath(): string | undefined {
  const extracted = join(
    process.env.DINGO_TOOLS_DIR ?? join(homedir(), '.cache', 'dingospeed', 'tools'),
    'promtool',
  );
  if (process.env.DINGO_PROMTOOL) return process.env.DINGO_PROMTOOL;
  if (hasTool('promtool')) return 'promtool';
  return existsSync(extracted) ? extracted : undefined;
}

/** Runs a command with `input` on stdin; resolves with its exit code and output. */
function runWithInput(
  cmd: string,
  args: string[],
  input: string,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
    child.stdin.end(input);
  });
}

/** Runs a command; resolves with its exit code and output (never rejects on a non-zero exit). */
function run(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** A local stand-in for a service's /health, whose answer each test sets. */
async function startHealthServer() {
  let reply = { status: 200, body: '{"status":"ok","info":{},"error":{},"details":{}}', delayMs: 0 };
  const paths: string[] = [];
  const pending = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    paths.push(req.url ?? '');
    const { status, body, delayMs } = reply;
    const timer = setTimeout(() => {
      pending.delete(timer);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(body);
    }, delayMs);
    pending.add(timer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    paths,
    answer(status: number, body: string, delayMs = 0) {
      reply = { status, body, delayMs };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of pending) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const YAML_FILES = ['docker-compose.yml', ...listFiles('deploy').filter((f) => /\.ya?ml$/.test(f))];
const JSON_FILES = listFiles('deploy').filter((f) => f.endsWith('.json'));

// ---------------------------------------------------------------------------------------------
describe('every deployment file parses', () => {
  it.each(YAML_FILES)('%s is valid YAML (no duplicate keys)', (file) => {
    expect(parseYamlDocuments(file).length).toBeGreaterThan(0);
  });

  it.each(JSON_FILES)('%s is valid JSON', (file) => {
    expect(() => JSON.parse(read(file))).not.toThrow();
  });

  it('covers the files the deployment needs', () => {
    for (const f of [
      'docker-compose.yml',
      'deploy/compose.env.example',
      'deploy/k8s/kustomization.yaml',
      'deploy/keepalived/keepalived-gateway-a.conf',
      'deploy/keepalived/keepalived-gateway-b.conf',
      'deploy/keepalived/check_gateway.sh',
      'deploy/monitoring/prometheus.yml',
      'deploy/monitoring/alerts.yml',
      'deploy/monitoring/grafana/dashboards/dingospeed.json',
    ]) {
      expect(existsSync(join(ROOT, f))).toBe(true);
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('docker-compose.yml', () => {
  const raw = parseYaml<any>('docker-compose.yml');
  const exampleEnv = parseEnvFile('deploy/compose.env.example');
  // What Compose validates and runs: the file after interpolation (here with the example .env).
  const compose = mapStrings(raw, (s) => interpolate(s, exampleEnv)) as any;
  const services: Record<string, any> = compose.services;

  it('passes the official Compose Specification schema (vendored, deploy/validate/schemas)', () => {
    const validate = composeSchemaValidator();
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema check is not vacuous: it rejects a misspelt key, a bad duration and a bad depends_on condition', () => {
    const validate = composeSchemaValidator();
    const broken = (mutate: (c: any) => void) => {
      const c = structuredClone(compose);
      mutate(c);
      return validate(c);
    };
    expect(broken((c) => (c.services.redis.helthcheck = c.services.redis.healthcheck))).toBe(false);
    expect(broken((c) => (c.services.redis.healthcheck.interval = '10 seconds'))).toBe(false);
    expect(broken((c) => (c.services.metadata.depends_on.mysql.condition = 'healthy'))).toBe(false);
    expect(broken((c) => (c.services.redis.ports = ['not-a-port']))).toBe(false);
  });

  it('has the infrastructure, the four DingoSpeed services (two gateways) and optional monitoring', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'grafana',
        'minio',
        'minio-init',
        'mysql',
        'prometheus',
        'redis',
        ...Object.keys(COMPOSE_DINGO_SERVICES),
      ].sort(),
    );
    expect(services.mysql.image).toMatch(/^(mysql:8\.|mariadb:10\.11)/);
    expect(services.redis.image).toMatch(/^redis:7/);
    expect(services.minio.command).toEqual(expect.arrayContaining(['--console-address']));
    expect(services.prometheus.profiles).toEqual(['monitoring']);
    expect(services.grafana.profiles).toEqual(['monitoring']);
  });

  it.each(Object.entries(COMPOSE_DINGO_SERVICES))(
    '%s runs the %s app from the repository image, on its port',
    (name, app) => {
      const s = services[name];
      expect(s.build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
      expect(appOfCommand(s.command)).toBe(app);
      expect(existsSync(join(ROOT, APPS[app].source))).toBe(true);
      expect(Number(s.environment.DINGO_PORT)).toBe(APPS[app].port);
      for (const p of s.ports ?? []) expect(String(p)).toMatch(new RegExp(`:${APPS[app].port}$`));
      expect(s.read_only).toBe(true);
      expect(s.tmpfs).toEqual(expect.arrayContaining(['/tmp']));
    },
  );

  it('every long-running service has a healthcheck, and depends_on waits for health (or completion of one-shots)', () => {
    for (const [name, s] of Object.entries(services)) {
      const oneShot = s.restart === 'no';
      if (!oneShot) expect({ name, healthcheck: !!s.healthcheck?.test }).toEqual({ name, healthcheck: true });
      for (const [dep, { condition }] of Object.entries<any>(s.depends_on ?? {})) {
        expect(services[dep]).toBeDefined();
        if (services[dep].restart === 'no')
          expect({ name, dep, condition }).toEqual({
            name,
            dep,
            condition: 'service_completed_successfully',
          });
        else {
          expect({ name, dep, condition }).toEqual({ name, dep, condition: 'service_healthy' });
          expect(services[dep].healthcheck?.test).toBeDefined();
        }
      }
    }
  });

  it('DingoSpeed healthchecks call /health with node fetch (slim images have no curl)', () => {
    for (const name of Object.keys(COMPOSE_DINGO_SERVICES)) {
      const [kind, bin, flag, script] = services[name].healthcheck.test;
      expect([kind, bin, flag]).toEqual(['CMD', 'node', '-e']);
      expect(script).toContain('/health');
      expect(script).toContain('fetch(');
    }
  });

  it('named volumes are declared (and used), bind mounts exist in the repository', () => {
    const declared = new Set(Object.keys(compose.volumes ?? {}));
    const used = new Set<string>();
    for (const [name, s] of Object.entries(services)) {
      for (const v of s.volumes ?? []) {
        const source = String(v).split(':')[0];
        if (source.startsWith('.') || source.startsWith('/'))
          expect({ name, source, exists: existsSync(join(ROOT, source)) }).toEqual({
            name,
            source,
            exists: true,
          });
        else {
          expect({ name, source, declared: declared.has(source) }).toEqual({ name, source, declared: true });
          used.add(source);
        }
      }
    }
    expect([...declared].filter((v) => !used.has(v))).toEqual([]);
  });

  it('stateful services keep data in named volumes', () => {
    const mountOf = (name: string, path: string) =>
      (services[name].volumes ?? []).some((v: string) => v.endsWith(`:${path}`));
    expect(mountOf('mysql', '/var/lib/mysql')).toBe(true);
    expect(mountOf('redis', '/data')).toBe(true);
    expect(mountOf('minio', '/data')).toBe(true);
    expect(mountOf('mirror-edge', '/data')).toBe(true);
    expect(mountOf('gateway-a', '/data')).toBe(true);
    expect(mountOf('gateway-b', '/data')).toBe(true);
  });

  it('secrets come from .env: required ones fail fast, and the example lists every variable used', () => {
    const uses = allStrings(raw).flatMap(variablesIn);
    const names = new Set(uses.map((u) => u.name));
    for (const u of uses) {
      if (!u.hasDefault)
        expect({ variable: u.name, inExample: u.name in exampleEnv }).toEqual({
          variable: u.name,
          inExample: true,
        });
    }
    for (const secret of [
      'MYSQL_ROOT_PASSWORD',
      'MYSQL_PASSWORD',
      'MINIO_ROOT_PASSWORD',
      'MINIO_DINGO_SECRET_KEY',
      'DINGO_JWT_SECRET',
      'DINGO_ADMIN_PASSWORD',
    ]) {
      expect(uses.filter((u) => u.name === secret).every((u) => u.required)).toBe(true);
      expect(exampleEnv[secret]).toMatch(/^CHANGE_ME/);
    }
    const unused = Object.keys(exampleEnv).filter((k) => !names.has(k) && k !== 'COMPOSE_PROJECT_NAME');
    expect(unused).toEqual([]);
  });

  it('no literal secrets in the compose file', () => {
    for (const s of allStrings(raw)) {
      expect(s).not.toMatch(/CHANGE_ME/);
      expect(s).not.toMatch(/:\/\/[^:$/\s]+:[^@$\s]+@/); // credentials in a URL must be ${...}
    }
  });

  it('DingoSpeed services set only DINGO_* variables that libs/config reads', () => {
    const known = configEnvKeys();
    expect(known.size).toBeGreaterThan(10);
    for (const name of Object.keys(COMPOSE_DINGO_SERVICES)) {
      const unknown = Object.keys(services[name].environment).filter(
        (k) => k.startsWith('DINGO_') && !known.has(k),
      );
      expect({ name, unknown }).toEqual({ name, unknown: [] });
    }
  });

  it('with the example .env as it is, the services refuse to start: its secrets are placeholders', () => {
    expect(() => loadConfig(services['gateway-a'].environment)).toThrow(/placeholder/);
  });

  it('their environment is a valid DingoSpeed config (with new-env.sh secrets): distributed for the cluster, embedded for the edge', () => {
    const generated = parseEnvText(
      spawnSync('sh', [join(ROOT, 'deploy/new-env.sh')], { encoding: 'utf8' }).stdout,
    );
    expect(Object.keys(generated).sort()).toEqual(Object.keys(exampleEnv).sort());
    expect(Object.values(generated).join('\n')).not.toMatch(/CHANGE_ME/);
    const filled = (mapStrings(raw, (s) => interpolate(s, generated)) as any).services;
    for (const [name, app] of Object.entries(COMPOSE_DINGO_SERVICES)) {
      const config = loadConfig(filled[name].environment);
      expect(config.port).toBe(APPS[app].port);
      expect(config.dataDir).toBe('/data');
      if (app === 'mirror-edge') {
        expect(config.mode).toBe('embedded');
        // Fills from the gateways only, by their compose names and port.
        for (const u of config.upstreams) {
          const url = new URL(u);
          expect(COMPOSE_DINGO_SERVICES[url.hostname]).toBe('gateway');
          expect(Number(url.port)).toBe(APPS.gateway.port);
        }
      } else {
        expect(config.mode).toBe('distributed');
        expect(new URL(config.database.url!).hostname).toBe('mysql');
        expect(new URL(config.redisUrl!).hostname).toBe('redis');
        expect(new URL(config.s3Url!).hostname).toBe('minio');
        expect(config.auth.jwtSecret).toBe(generated.DINGO_JWT_SECRET);
      }
    }
  });

  it('both gateways share one JWT secret, database, Redis and chunk store', () => {
    const envA = services['gateway-a'].environment;
    const envB = services['gateway-b'].environment;
    for (const k of [
      'DINGO_JWT_SECRET',
      'DINGO_DB_URL',
      'DINGO_REDIS_URL',
      'DINGO_S3_URL',
      'DINGO_NAMESPACE',
    ])
      expect(envA[k]).toBe(envB[k]);
  });

  it('inline shell scripts (minio-init) are valid sh once Compose has unescaped $$', async () => {
    const scripts = Object.values(services)
      .filter((s) => Array.isArray(s.entrypoint) && /^(\/bin\/)?sh$/.test(s.entrypoint[0]))
      .map((s) => s.entrypoint.at(-1) as string);
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect((await run('sh', ['-n', '-c', script])).code).toBe(0);
  });

  // A second opinion from a Compose implementation, when one is installed (`config` needs no engine).
  const composeCli =
    spawnSync('docker', ['compose', 'version']).status === 0
      ? ['docker', 'compose']
      : hasTool('docker-compose')
        ? ['docker-compose']
        : undefined;
  (composeCli ? it : it.skip)(
    `${composeCli?.join(' ') ?? 'docker compose'} config accepts it with the example .env, and refuses it without secrets`,
    async () => {
      const [cmd, ...pre] = composeCli!;
      const file = join(ROOT, 'docker-compose.yml');
      const withEnv = await run(cmd, [
        ...pre,
        '--env-file',
        join(ROOT, 'deploy/compose.env.example'),
        '-f',
        file,
        '--profile',
        'monitoring',
        'config',
        '-q',
      ]);
      expect(withEnv).toEqual({ code: 0, out: '' });
      const dir = mkdtempSync(join(tmpdir(), 'dingo-compose-'));
      writeFileSync(join(dir, 'empty.env'), '');
      const without = await run(cmd, [
        ...pre,
        '--env-file',
        join(dir, 'empty.env'),
        '-f',
        file,
        'config',
        '-q',
      ]);
      rmSync(dir, { recursive: true, force: true });
      expect(without.code).not.toBe(0);
      expect(without.out).toMatch(/in \.env/);
    },
  );
  if (!composeCli) console.warn('no Compose CLI installed: skipped `docker compose config`');

  describe('the DingoSpeed healthcheck command, run for real', () => {
    let server: Awaited<ReturnType<typeof startHealthServer>>;
    beforeAll(async () => (server = await startHealthServer()));
    afterAll(() => server.close());
    const script = () => services['gateway-a'].healthcheck.test[3] as string;

    it('exits 0 when /health on DINGO_PORT answers 200', async () => {
      server.answer(200, '{"status":"ok"}');
      const { code } = await run('node', ['-e', script()], { DINGO_PORT: String(server.port) });
      expect(code).toBe(0);
      expect(server.paths.at(-1)).toBe('/health');
    });

    it('exits 1 on 503 (a dependency is down)', async () => {
      server.answer(503, '{"status":"error"}');
      expect((await run('node', ['-e', script()], { DINGO_PORT: String(server.port) })).code).toBe(1);
    });

    it('exits 1 when nothing listens', async () => {
      expect((await run('node', ['-e', script()], { DINGO_PORT: String(await closedPort()) })).code).toBe(1);
    });
  });
});

function composeSchemaValidator() {
  const schema = JSON.parse(read('deploy/validate/schemas/compose-spec.json'));
  // The spec's draft-04 style `id` annotations are refused by Ajv 8; no $ref uses them.
  const stripIds = (v: any): any =>
    Array.isArray(v)
      ? v.map(stripIds)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .filter(([k, x]) => !(k === 'id' && typeof x === 'string'))
              .map(([k, x]) => [k, stripIds(x)]),
          )
        : v;
  const { $schema: _ignored, ...body } = stripIds(schema);
  const ajv = new Ajv2019({ strict: false, allErrors: true, validateSchema: false });
  // Formats the Compose schema declares (as compose-go implements them).
  ajv.addFormat('duration', /^[+-]?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('ports', /^((\[?[0-9a-fA-F:.]+\]?):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^([0-9.]+|[0-9a-fA-F:]+)\/\d{1,3}$/);
  return ajv.compile(body);
}

// ---------------------------------------------------------------------------------------------
describe('Dockerfile and .dockerignore', () => {
  const { stages } = parseDockerfile(read('Dockerfile'));
  const final = stages[stages.length - 1];
  const ignore = parseDockerignore(read('.dockerignore'));
  const all = (stage: typeof final, keyword: string) =>
    stage.instructions.filter((i) => i.keyword === keyword);

  it(`is multi-stage on ${NODE_IMAGE}`, () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const names = new Set(stages.map((s) => s.name));
    for (const s of stages) expect(s.from === NODE_IMAGE || names.has(s.from)).toBe(true);
  });

  it('builds native modules in a build stage only (python3, make, g++), with npm ci', () => {
    // The stage the runtime takes node_modules from (others, like the console bundle's, may come first).
    const build = stages.find((s) =>
      all(final, 'COPY').some(
        (i) => i.args.startsWith(`--from=${s.name} `) && i.args.includes('node_modules'),
      ),
    )!;
    expect(build).toBeDefined();
    const runs = all(build, 'RUN')
      .map((i) => i.args)
      .join('\n');
    expect(runs).toMatch(/apt-get install[^\n]*\bpython3\b[^\n]*\bmake\b[^\n]*\bg\+\+/);
    expect(runs).toMatch(/\bnpm ci\b/);
    expect(
      all(final, 'RUN')
        .map((i) => i.args)
        .join('\n'),
    ).not.toMatch(/g\+\+|build-essential/);
    expect(all(final, 'COPY').some((i) => i.args.startsWith(`--from=${build.name}`))).toBe(true);
  });

  it('runs as a non-root user with /data for state and the gateway as the default command', () => {
    const user = all(final, 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user!.split(':')[0]);
    expect(
      all(final, 'ENV')
        .map((i) => i.args)
        .join(' '),
    ).toMatch(/DINGO_DATA_DIR=\/data/);
    const cmd = execForm(all(final, 'CMD').at(-1)!.args);
    expect(appOfCommand(cmd)).toBe('gateway');
    const exposed = all(final, 'EXPOSE')
      .flatMap((i) => i.args.split(/\s+/))
      .map(Number);
    expect(exposed).toEqual(expect.arrayContaining(Object.values(APPS).map((a) => a.port)));
  });

  it('the production install keeps what the build and the runtime need (@swc/core, native sqlite)', () => {
    // `npm ci --omit=dev` drops packages the lockfile marks dev-only.
    const lock = JSON.parse(read('package-lock.json')).packages;
    for (const pkg of ['@swc/core', 'better-sqlite3', 'prom-client']) {
      expect({ pkg, devOnly: !!lock[`node_modules/${pkg}`]?.dev }).toEqual({ pkg, devOnly: false });
    }
  });

  it('every COPY from the context exists and survives .dockerignore', () => {
    const copies = stages.flatMap((s) => all(s, 'COPY')).filter((i) => !i.args.startsWith('--from'));
    const sources = copies.flatMap((i) =>
      i.args
        .replace(/--\S+\s+/g, '')
        .split(/\s+/)
        .slice(0, -1),
    );
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'apps', 'libs']));
    for (const src of sources) {
      expect({ src, exists: existsSync(join(ROOT, src)) }).toEqual({ src, exists: true });
      expect({ src, ignored: isIgnored(ignore, src) }).toEqual({ src, ignored: false });
    }
  });

  it('.dockerignore keeps sources in and secrets, tests and bulk out', () => {
    for (const p of [
      'apps/gateway/src/main.ts',
      'libs/config/src/load-config.ts',
      'tsconfig.base.json',
      '.swcrc',
      'package-lock.json',
    ]) {
      expect({ p, ignored: isIgnored(ignore, p) }).toEqual({ p, ignored: false });
    }
    for (const p of [
      '.env',
      '.git/HEAD',
      'node_modules/x/index.js',
      'data/metadata.sqlite',
      'deploy/k8s/secret.yaml',
      'e2e/mirror/edge.e2e.spec.ts',
      'bench/run.ts',
      'libs/config/src/load-config.spec.ts',
      'libs/x/node_modules/y.js',
    ]) {
      expect({ p, ignored: isIgnored(ignore, p) }).toEqual({ p, ignored: true });
    }
  });

  describe('the image HEALTHCHECK, run for real', () => {
    let server: Awaited<ReturnType<typeof startHealthServer>>;
    beforeAll(async () => (server = await startHealthServer()));
    afterAll(() => server.close());
    const healthcheck = () => {
      const ins = all(final, 'HEALTHCHECK').at(-1)!;
      const args = execForm(ins.args.slice(ins.args.indexOf('CMD')))!;
      expect(args.slice(0, 2)).toEqual(['node', '-e']);
      return args[2];
    };

    it('exits 0 on 200 and 1 on 503 from /health on DINGO_PORT', async () => {
      server.answer(200, '{"status":"ok"}');
      expect((await run('node', ['-e', healthcheck()], { DINGO_PORT: String(server.port) })).code).toBe(0);
      expect(server.paths.at(-1)).toBe('/health');
      server.answer(503, '{"status":"error"}');
      expect((await run('node', ['-e', healthcheck()], { DINGO_PORT: String(server.port) })).code).toBe(1);
    });
  });
});

// ---------------------------------------------------------------------------------------------
describe('Kubernetes manifests (deploy/k8s)', () => {
  const load = (dir: string) => {
    const kustomization = parseYaml<any>(`${dir}/kustomization.yaml`);
    const files = listFiles(dir).filter(
      (f) => /\.ya?ml$/.test(f) && f.startsWith(`${dir}/`) && !f.slice(dir.length + 1).includes('/'),
    );
    const manifestFiles = files.filter((f) => basename(f) !== 'kustomization.yaml');
    const manifests: Manifest[] = manifestFiles.flatMap((file) =>
      parseYamlDocuments(file).map((object) => ({ file, object: object as K8sObject })),
    );
    return { kustomization, files: manifestFiles, manifests };
  };
  const app = load('deploy/k8s');
  const infra = load('deploy/k8s/infra');
  const templates = (set: typeof app) => set.files.filter((f) => f.endsWith('.template.yaml'));

  it.each([
    ['deploy/k8s', app],
    ['deploy/k8s/infra', infra],
  ])('%s: kustomization lists every manifest except the secret templates', (dir, set) => {
    const listed = (set.kustomization.resources as string[]).map((r) => `${dir}/${r}`);
    for (const f of listed) expect({ f, exists: existsSync(join(ROOT, f)) }).toEqual({ f, exists: true });
    expect(listed.sort()).toEqual(set.files.filter((f) => !templates(set).includes(f)).sort());
    expect(set.kustomization.namespace).toBe('dingo');
  });

  it.each([
    ['deploy/k8s', app],
    ['deploy/k8s/infra', infra],
  ])(
    '%s: names, selectors, Services, ConfigMap/Secret/PVC references and probe ports are consistent',
    (_dir, set) => {
      expect(checkManifests(set.manifests)).toEqual([]);
    },
  );

  it('the structural checks catch broken references (not vacuous)', () => {
    const broken = structuredClone(app.manifests);
    const gateway = broken.find(
      (m) => m.object.kind === 'Deployment' && m.object.metadata.name === 'gateway',
    )!.object;
    gateway.spec!.template!.metadata!.labels!['app.kubernetes.io/component'] = 'gw';
    gateway.spec!.template!.spec.containers[0].readinessProbe!.httpGet!.port = 'metrics';
    gateway.spec!.template!.spec.containers[0].envFrom![0].configMapRef!.name = 'nope';
    const problems = checkManifests(broken).join('\n');
    expect(problems).toMatch(/selector .* does not match the template labels/);
    expect(problems).toMatch(/Service\/gateway: selector .* matches no workload/);
    expect(problems).toMatch(/readinessProbe port metrics is not a declared container port/);
    expect(problems).toMatch(/configMapRef nope is not defined/);
  });

  it('secret templates hold placeholders only and are not applied by kustomize', () => {
    for (const set of [app, infra]) {
      for (const file of templates(set)) {
        const [secret] = parseYamlDocuments(file) as K8sObject[];
        expect(secret.kind).toBe('Secret');
        for (const [key, v] of Object.entries(secret.stringData ?? {})) {
          const looksSecret = /PASSWORD|SECRET|_USER$/.test(key) || /:\/\/[^/@]+:[^/@]+@/.test(v);
          if (looksSecret)
            expect({ key, placeholder: v.includes('CHANGE_ME') }).toEqual({ key, placeholder: true });
        }
        expect(secret.data).toBeUndefined();
      }
    }
    expect(read('deploy/k8s/.gitignore')).toMatch(/^secret\.yaml$/m);
  });

  const dingoWorkloads = app.manifests.filter((m) => isWorkload(m.object));
  const byName = (name: string) => dingoWorkloads.find((m) => m.object.metadata.name === name)!.object;

  it('runs the four apps from the dingospeed image, each with DINGO_PORT on its declared port', () => {
    expect(dingoWorkloads.map((m) => m.object.metadata.name).sort()).toEqual(Object.keys(APPS).sort());
    const imageNames = (app.kustomization.images as { name: string }[]).map((i) => i.name);
    for (const m of dingoWorkloads) {
      const [c] = m.object.spec!.template!.spec.containers;
      const appName = appOfCommand(c.command);
      expect(appName).toBe(m.object.metadata.name);
      expect(imageNames).toContain(c.image.split(':')[0]);
      const port = Number(c.env!.find((e) => e.name === 'DINGO_PORT')!.value);
      expect(port).toBe(APPS[appName!].port);
      expect(c.ports!.map((p) => p.containerPort)).toEqual([port]);
    }
  });

  const pdbOf = (name: string) =>
    app.manifests.find((m) => m.object.kind === 'PodDisruptionBudget' && m.object.metadata.name === name)
      ?.object as any;

  it('gateway: 2 replicas, readiness on /health/ready, liveness on /health/live, disruption budget', () => {
    const gw = byName('gateway');
    expect(gw.spec!.replicas).toBe(2);
    const [c] = gw.spec!.template!.spec.containers;
    expect(c.readinessProbe?.httpGet?.path).toBe('/health/ready');
    expect(c.livenessProbe?.httpGet?.path).toBe('/health/live');
    const pdb = pdbOf('gateway');
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual((gw.spec!.selector as any).matchLabels);
  });

  it('metadata: 2 replicas (one queue, each call to one replica), rolled one at a time, disruption budget', () => {
    const md = byName('metadata');
    expect(md.spec!.replicas).toBe(2);
    expect(md.spec!.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
    const pdb = pdbOf('metadata');
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual((md.spec!.selector as any).matchLabels);
    expect(read('deploy/k8s/metadata.yaml')).toMatch(/exactly one replica/);
  });

  it('every app container probes /health/ready and /health/live and meets the restricted Pod Security profile', () => {
    for (const m of dingoWorkloads) {
      const pod = m.object.spec!.template!.spec;
      expect(pod.enableServiceLinks).toBe(false); // no injected *_PORT next to DINGO_PORT
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      for (const c of containersOf(m.object)) {
        expect(c.readinessProbe?.httpGet?.path).toBe('/health/ready');
        expect(c.livenessProbe?.httpGet?.path).toBe('/health/live');
        expect(c.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        // Read-only root: the app writes to /data, /tmp is scratch.
        expect(c.volumeMounts!.map((v) => v.mountPath).sort()).toEqual(['/data', '/tmp']);
      }
    }
  });

  it('volumes: a claim for the edge cache, a per-pod claim for gateway staging', () => {
    const edgeVolumes = byName('mirror-edge').spec!.template!.spec.volumes!;
    expect(edgeVolumes.find((v) => v.name === 'cache')?.persistentVolumeClaim?.claimName).toBe(
      'mirror-edge-cache',
    );
    expect(byName('mirror-edge').spec!.strategy?.type).toBe('Recreate'); // one writer on a RWO claim
    const staging = byName('gateway').spec!.template!.spec.volumes!.find((v) => v.name === 'staging') as any;
    expect(staging.ephemeral.volumeClaimTemplate.spec.accessModes).toEqual(['ReadWriteOnce']);
  });

  it('app containers set only DINGO_* variables that libs/config reads', () => {
    const known = configEnvKeys();
    const configMaps = app.manifests.filter((m) => m.object.kind === 'ConfigMap');
    const secretTemplate = app.manifests.find((m) => m.object.kind === 'Secret')!.object;
    const keys = [
      ...configMaps.flatMap((m) => Object.keys(m.object.data ?? {})),
      ...Object.keys(secretTemplate.stringData ?? {}),
      ...dingoWorkloads.flatMap((m) =>
        containersOf(m.object).flatMap((c) => (c.env ?? []).map((e) => e.name)),
      ),
    ];
    expect(keys.filter((k) => !known.has(k))).toEqual([]);
  });

  it('the environment each app gets is a valid config (secrets from new-env.sh k8s): distributed, or embedded (edge) filling from the gateway Service', () => {
    const secrets = parseEnvText(
      spawnSync('sh', [join(ROOT, 'deploy/new-env.sh'), 'k8s'], { encoding: 'utf8' }).stdout,
    );
    expect(Object.values(secrets).join('\n')).not.toMatch(/CHANGE_ME/);
    const data = (kind: string, name: string) => {
      const o = app.manifests.find((m) => m.object.kind === kind && m.object.metadata.name === name)!.object;
      // The Secret as the operator creates it: the template's keys with real values.
      if (kind === 'Secret') {
        expect(Object.keys(secrets).sort()).toEqual(Object.keys(o.stringData ?? {}).sort());
        return secrets;
      }
      return { ...(o.data ?? {}), ...(o.stringData ?? {}) };
    };
    for (const m of dingoWorkloads) {
      const [c] = m.object.spec!.template!.spec.containers;
      const env: Record<string, string> = {};
      for (const from of c.envFrom ?? [])
        Object.assign(
          env,
          from.configMapRef
            ? data('ConfigMap', from.configMapRef.name)
            : data('Secret', from.secretRef!.name),
        );
      for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
      const config = loadConfig(env);
      if (m.object.metadata.name === 'mirror-edge') {
        expect(config.mode).toBe('embedded');
        expect(c.envFrom!.some((f) => f.secretRef)).toBe(false); // the edge gets no cluster credentials
        for (const u of config.upstreams) {
          const url = new URL(u);
          const svc = app.manifests.find(
            (s) => s.object.kind === 'Service' && s.object.metadata.name === url.hostname,
          )!.object;
          expect(svc.spec!.ports!.map((p) => p.port)).toContain(Number(url.port));
          expect((svc.spec as any).selector['app.kubernetes.io/component']).toBe('gateway');
        }
      } else {
        expect(config.mode).toBe('distributed');
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('Keepalived (deploy/keepalived)', () => {
  const conf = (node: 'a' | 'b') =>
    parseKeepalived(read(`deploy/keepalived/keepalived-gateway-${node}.conf`));
  const instance = (nodes: KeepalivedNode[]) => {
    const [vrrp] = find(nodes, 'vrrp_instance');
    expect(vrrp).toBeDefined();
    return vrrp;
  };
  const a = conf('a');
  const b = conf('b');
  const ia = instance(a);
  const ib = instance(b);
  const list = (block: KeepalivedNode, key: string) =>
    find(block.children, key)[0]?.children.map((c) => [c.key, ...c.args].join(' ')) ?? [];

  it('both start as BACKUP with nopreempt (a recovered node does not cut downloads by taking the VIP back); A 150, B 100', () => {
    expect([value(ia.children, 'state'), value(ia.children, 'priority')]).toEqual(['BACKUP', '150']);
    expect([value(ib.children, 'state'), value(ib.children, 'priority')]).toEqual(['BACKUP', '100']);
    for (const i of [ia, ib]) expect(find(i.children, 'nopreempt').length).toBe(1);
  });

  it.each([
    ['a', a, ia],
    ['b', b, ib],
  ])(
    'node %s fails over on the first failed check (FAULT, weight 0), re-announces after a split brain, resets connections on leaving MASTER',
    (_n, nodes, inst) => {
      const [s] = find(nodes, 'vrrp_script');
      expect([
        value(s.children, 'interval'),
        value(s.children, 'fall'),
        value(s.children, 'weight') ?? '0',
      ]).toEqual(['1', '1', '0']);
      expect(find(s.children, 'init_fail').length).toBe(1);
      expect(Number(value(inst.children, 'garp_lower_prio_repeat'))).toBeGreaterThan(0);
      expect(value(inst.children, 'higher_prio_send_advert')).toBe('true');
      const notify = find(inst.children, 'notify')[0];
      const [path, vip, port] = notify.args[0].split(' ');
      expect(basename(path)).toBe('dingo_notify.sh');
      expect(notify.args[1]).toBe('root'); // ss -K needs CAP_NET_ADMIN
      expect(`${vip}/24`).toBe(list(inst, 'virtual_ipaddress')[0].split(' ')[0]);
      expect(port).toBe('8090');
    },
  );

  it.each(['dingo_notify.sh', 'config-test.sh'])('%s is executable POSIX sh', async (name) => {
    const file = join(ROOT, 'deploy/keepalived', name);
    expect(statSync(file).mode & 0o111).toBeTruthy();
    expect(read(`deploy/keepalived/${name}`).split('\n')[0]).toBe('#!/bin/sh');
    expect((await run('sh', ['-n', file])).code).toBe(0);
    if (hasTool('dash')) expect((await run('dash', ['-n', file])).code).toBe(0);
  });

  it('both nodes agree on the VRRP group: instance, virtual_router_id, VIP, interface, advert_int, auth', () => {
    expect(ia.args).toEqual(ib.args);
    for (const key of ['virtual_router_id', 'interface', 'advert_int'])
      expect(value(ia.children, key)).toBe(value(ib.children, key));
    const vrid = Number(value(ia.children, 'virtual_router_id'));
    expect(vrid).toBeGreaterThanOrEqual(1);
    expect(vrid).toBeLessThanOrEqual(255);
    expect(list(ia, 'virtual_ipaddress')).toEqual(list(ib, 'virtual_ipaddress'));
    expect(list(ia, 'virtual_ipaddress').length).toBe(1);
    expect(list(ia, 'authentication')).toEqual(list(ib, 'authentication'));
    const pass = find(find(ia.children, 'authentication')[0].children, 'auth_pass')[0].args[0];
    expect(pass.length).toBeLessThanOrEqual(8); // VRRPv2 PASS auth uses the first 8 characters
  });

  it('routers differ and name each other as unicast peers', () => {
    expect(value(find(a, 'global_defs')[0].children, 'router_id')).not.toBe(
      value(find(b, 'global_defs')[0].children, 'router_id'),
    );
    expect(list(ia, 'unicast_peer')).toEqual([value(ib.children, 'unicast_src_ip')]);
    expect(list(ib, 'unicast_peer')).toEqual([value(ia.children, 'unicast_src_ip')]);
  });

  it.each([
    ['a', a, ia],
    ['b', b, ib],
  ])(
    "node %s tracks check_gateway.sh, defined in the same file, with a timeout above the script's",
    (_n, nodes, inst) => {
      const tracked = find(inst.children, 'track_script')[0].children.map((c) => c.key);
      const scripts = find(nodes, 'vrrp_script');
      expect(tracked.length).toBeGreaterThan(0);
      for (const t of tracked) {
        const s = scripts.find((x) => x.args[0] === t);
        expect(s).toBeDefined();
        expect(basename(value(s!.children, 'script')!)).toBe('check_gateway.sh');
        expect(Number(value(s!.children, 'timeout'))).toBeGreaterThan(2);
      }
      expect(find(find(nodes, 'global_defs')[0].children, 'enable_script_security').length).toBe(1);
    },
  );

  it('a failing check on the master drops it below the backup, so the VIP moves', () => {
    const weight = Number(value(find(a, 'vrrp_script')[0].children, 'weight') ?? 0);
    const pa = Number(value(ia.children, 'priority'));
    const pb = Number(value(ib.children, 'priority'));
    // weight 0 means FAULT state (also a failover); a negative weight must outweigh the gap.
    if (weight !== 0) expect(pa + weight).toBeLessThan(pb);
  });

  const script = join(ROOT, 'deploy/keepalived/check_gateway.sh');

  it('check_gateway.sh is executable POSIX sh (sh -n; dash -n and shellcheck when installed)', async () => {
    expect(statSync(script).mode & 0o111).toBeTruthy();
    expect(read('deploy/keepalived/check_gateway.sh').split('\n')[0]).toBe('#!/bin/sh');
    expect((await run('sh', ['-n', script])).code).toBe(0);
    if (hasTool('dash')) expect((await run('dash', ['-n', script])).code).toBe(0);
    if (hasTool('shellcheck')) {
      const r = await run('shellcheck', ['-s', 'sh', script]);
      expect(r.out).toBe('');
      expect(r.code).toBe(0);
    } else console.warn('shellcheck not installed: skipped the lint of check_gateway.sh');
  });

  describe('check_gateway.sh against a local /health', () => {
    let server: Awaited<ReturnType<typeof startHealthServer>>;
    beforeAll(async () => (server = await startHealthServer()));
    afterAll(() => server.close());
    const check = (env: Record<string, string> = {}) =>
      run('sh', [script], { DINGO_HEALTH_URL: `http://127.0.0.1:${server.port}/health`, ...env });
    const curl = hasTool('curl');
    const itCurl = curl ? it : it.skip;
    if (!curl) console.warn('curl not installed: skipped running check_gateway.sh');

    itCurl('exits 0 on HTTP 200 with status ok', async () => {
      server.answer(200, '{"status":"ok","info":{"metadata":{"status":"up"}},"error":{},"details":{}}');
      expect(await check()).toEqual({ code: 0, out: '' });
      expect(server.paths.at(-1)).toBe('/health');
    });

    itCurl('fails on 503', async () => {
      server.answer(503, '{"status":"error","info":{},"error":{"metadata":{"status":"down"}},"details":{}}');
      expect((await check()).code).not.toBe(0);
    });

    itCurl('fails on 200 without status ok', async () => {
      server.answer(200, '{"status":"error","info":{"metadata":{"status":"up"}}}');
      expect((await check()).code).not.toBe(0);
    });

    itCurl('fails within its timeout when the gateway hangs', async () => {
      server.answer(200, '{"status":"ok"}', 5000);
      const started = Date.now();
      expect((await check({ DINGO_HEALTH_TIMEOUT: '1' })).code).not.toBe(0);
      expect(Date.now() - started).toBeLessThan(4000);
    });

    itCurl('fails at once when nothing listens (a dead gateway is not asked twice)', async () => {
      const started = Date.now();
      expect(
        (
          await check({
            DINGO_HEALTH_URL: `http://127.0.0.1:${await closedPort()}/health`,
            DINGO_HEALTH_RETRY_PAUSE: '2',
          })
        ).code,
      ).not.toBe(0);
      expect(Date.now() - started).toBeLessThan(1500);
    });

    it('defaults to the local gateway with a short timeout', () => {
      const text = read('deploy/keepalived/check_gateway.sh');
      expect(text).toContain('${DINGO_HEALTH_URL:-http://127.0.0.1:8090/health/ready}');
      expect(text).toMatch(/DINGO_HEALTH_TIMEOUT:-1(\.\d)?\}/);
    });
  });
});

// ---------------------------------------------------------------------------------------------
describe('monitoring (deploy/monitoring)', () => {
  // What a real gateway exports (scraped), plus the process metrics and Prometheus' `up`.
  let exposition = '';
  const known = new Set<string>(['up']);
  beforeAll(async () => {
    exposition = await scrapeGatewayMetrics();
    for (const n of seriesNames(exposition)) known.add(n);
  }, 60_000);
  const prometheus = parseYaml<any>('deploy/monitoring/prometheus.yml');
  const alerts = parseYaml<any>('deploy/monitoring/alerts.yml');
  const rules: any[] = alerts.groups.flatMap((g: any) => g.rules);
  const dashboard = JSON.parse(read('deploy/monitoring/grafana/dashboards/dingospeed.json'));
  const targets: any[] = dashboard.panels.flatMap((p: any) => p.targets ?? []);
  const compose = parseYaml<any>('docker-compose.yml');
  const unknownIn = (expr: string) => metricNamesIn(expr).filter((n) => !known.has(n));

  it('a gateway exports the mirror, HTTP and process metrics the rules and dashboard use', () => {
    for (const n of [
      'dingo_served_bytes_total',
      'dingo_http_requests_total',
      'dingo_http_time_to_first_byte_seconds_bucket',
      'dingo_upstream_bytes_total',
      'dingo_upstream_up',
      'dingo_upstream_response_seconds_bucket',
      'dingo_blob_verification_failures_total',
      'dingo_store_bytes',
      'dingo_queue_jobs',
      'dingo_process_resident_memory_bytes',
    ]) {
      expect({ n, exported: known.has(n) }).toEqual({ n, exported: true });
    }
  });

  it('the metric-name extractor skips labels, functions, ranges and numbers (and catches unknown names)', () => {
    expect(
      metricNamesIn('sum by (job, instance) (rate(dingo_served_bytes_total{job=~"dingo-.*"}[5m])) > 1.5e9'),
    ).toEqual(['dingo_served_bytes_total']);
    expect(metricNamesIn('absent(up{job="x"} == 1) or vector(0) offset 5m')).toEqual(['up']);
    expect(unknownIn('rate(dingo_no_such_metric_total{status=~"5.."}[5m])')).toEqual([
      'dingo_no_such_metric_total',
    ]);
  });

  it('every alert has an expression on known metrics, a severity and a summary', () => {
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) {
      expect({ alert: r.alert, unknown: unknownIn(r.expr) }).toEqual({ alert: r.alert, unknown: [] });
      expect(['critical', 'warning', 'info']).toContain(r.labels?.severity);
      expect(r.annotations?.summary).toBeTruthy();
    }
  });

  it('alerts on gateway down, upstream down and verification failures', () => {
    const exprs = rules.map((r) => r.expr as string);
    expect(exprs.some((e) => /up\{job="dingo-gateway"\}\s*==\s*0/.test(e))).toBe(true);
    expect(exprs.some((e) => /dingo_upstream_up\s*==\s*0/.test(e))).toBe(true);
    expect(exprs.some((e) => /increase\(dingo_blob_verification_failures_total\[/.test(e))).toBe(true);
  });

  it('alert job labels are scrape jobs', () => {
    const jobs = new Set(prometheus.scrape_configs.map((s: any) => s.job_name));
    for (const r of rules)
      for (const m of (r.expr as string).matchAll(/job="([^"]+)"/g)) expect(jobs.has(m[1])).toBe(true);
  });

  it('Prometheus scrapes every DingoSpeed compose service on its DINGO_PORT, and loads the mounted rules', () => {
    const scraped = new Map<string, string>();
    for (const job of prometheus.scrape_configs) {
      for (const sc of job.static_configs ?? []) for (const t of sc.targets) scraped.set(t, job.job_name);
      for (const dns of job.dns_sd_configs ?? [])
        for (const n of dns.names) scraped.set(`${n}:${dns.port}`, job.job_name);
    }
    for (const name of Object.keys(COMPOSE_DINGO_SERVICES)) {
      const target = `${name}:${compose.services[name].environment.DINGO_PORT}`;
      expect({ target, scraped: scraped.has(target) }).toEqual({ target, scraped: true });
    }
    for (const target of scraped.keys()) {
      const [host] = target.split(':');
      expect(host === '127.0.0.1' || host in compose.services).toBe(true);
    }
    const mounts: string[] = compose.services.prometheus.volumes;
    for (const ruleFile of prometheus.rule_files)
      expect(mounts.some((m) => m.split(':')[1] === ruleFile)).toBe(true);
    expect(mounts.some((m) => m.startsWith('./deploy/monitoring/prometheus.yml:'))).toBe(true);
  });

  it('the dashboard queries known metrics through the provisioned datasource', () => {
    const datasources = parseYaml<any>(
      'deploy/monitoring/grafana/provisioning/datasources/prometheus.yml',
    ).datasources;
    const uids = new Set(datasources.map((d: any) => d.uid));
    expect(new URL(datasources[0].url).hostname).toBe('prometheus');
    for (const p of dashboard.panels) {
      if (p.type === 'row') continue;
      expect(uids.has(p.datasource?.uid)).toBe(true);
      expect(p.targets.length).toBeGreaterThan(0);
    }
    for (const t of targets) {
      expect(uids.has(t.datasource?.uid)).toBe(true);
      expect({ expr: t.expr, unknown: unknownIn(t.expr) }).toEqual({ expr: t.expr, unknown: [] });
    }
    const ids = dashboard.panels.map((p: any) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('the dashboard shows traffic, hit rate, latency, upstream health, storage, jobs, integrity and memory', () => {
    const exprs = targets.map((t) => t.expr as string);
    for (const metric of [
      'dingo_http_requests_total',
      'dingo_http_time_to_first_byte_seconds_bucket',
      'dingo_served_bytes_total',
      'dingo_upstream_bytes_total',
      'dingo_upstream_response_seconds_bucket',
      'dingo_upstream_up',
      'dingo_pull_retries_total',
      'dingo_store_bytes',
      'dingo_data_disk_free_bytes',
      'dingo_queue_jobs',
      'dingo_block_mismatches_total',
      'dingo_process_resident_memory_bytes',
    ]) {
      expect({ metric, shown: exprs.some((e) => e.includes(metric)) }).toEqual({ metric, shown: true });
    }
    // The hit rate is a ratio of file GETs answered from the cache to all file GETs.
    expect(
      exprs.some((e) => e.includes('cache="hit"') && e.includes(') / sum(') && e.includes('route="resolve"')),
    ).toBe(true);
  });

  it('Grafana provisioning points at the mounted dashboards folder', () => {
    const providers = parseYaml<any>(
      'deploy/monitoring/grafana/provisioning/dashboards/dingospeed.yml',
    ).providers;
    const mounts: string[] = compose.services.grafana.volumes;
    const dashboardsMount = mounts
      .find((m) => m.startsWith('./deploy/monitoring/grafana/dashboards:'))!
      .split(':')[1];
    expect(providers.map((p: any) => p.options.path)).toEqual([dashboardsMount]);
    expect(mounts.some((m) => m.split(':')[1] === '/etc/grafana/provisioning')).toBe(true);
  });

  describe('promtool', () => {
    // npm test's pretest (scripts/test-prereqs.sh) provides it; missing, these fail (never skip).
    const promtool = promtoolPath();
    const itTool = it;
    let dir: string;
    beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'dingo-promtool-'))));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    itTool("is available (scripts/test-prereqs.sh extracts it from Debian's prometheus package)", () => {
      expect(promtool).toBeTruthy();
    });

    itTool('the metrics a gateway exports pass `promtool check metrics`', async () => {
      const r = await runWithInput(promtool!, ['check', 'metrics'], exposition);
      expect(r).toEqual({ code: 0, out: '' });
    });

    itTool('check config (rule files as mounted) and check rules pass', async () => {
      writeFileSync(join(dir, 'alerts.yml'), read('deploy/monitoring/alerts.yml'));
      const config = {
        ...prometheus,
        rule_files: prometheus.rule_files.map((f: string) => join(dir, basename(f))),
      };
      writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
      const r = await run(promtool!, ['check', 'config', join(dir, 'prometheus.yml')]);
      expect(r).toMatchObject({ code: 0 });
    });

    itTool('the alert unit tests pass (deploy/monitoring/alerts.test.yml)', async () => {
      const r = await run(promtool!, ['test', 'rules', join(ROOT, 'deploy/monitoring/alerts.test.yml')]);
      expect(r.out).toMatch(/SUCCESS/);
      expect(r.code).toBe(0);
    });

    itTool('every dashboard query is valid PromQL', async () => {
      const records = targets.map((t, i) => ({
        record: `dashboard:query_${i}`,
        expr: String(t.expr)
          .replace(/\$__rate_interval/g, '5m')
          .replace(/\$\w+/g, '.*'),
      }));
      writeFileSync(
        join(dir, 'dashboard-rules.yml'),
        stringify({ groups: [{ name: 'dashboard', rules: records }] }),
      );
      const r = await run(promtool!, ['check', 'rules', join(dir, 'dashboard-rules.yml')]);
      expect(r).toMatchObject({ code: 0 });
    });
  });
});
