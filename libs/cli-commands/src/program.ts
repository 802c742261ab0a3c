import { Command, CommanderError, Option } from 'commander';
import { CliError, EXIT } from './cli-errors';
import { infoCommand } from './commands/info';
import { listCommand, ListOptions } from './commands/list';
import { loginCommand, logoutCommand } from './commands/login';
import { prefetchCommand } from './commands/prefetch';
import { pullCommand } from './commands/pull';
import { statusCommand } from './commands/status';
import { HfCacheRepo } from './hf-cache';
import { MirrorClient } from './mirror-client';
import { CliOutput } from './pull-progress';
import { parseRepoSpec } from './repo-spec';
import { CliEnv, hubCacheDir, resolveEndpoint, resolveToken } from './settings';

const MiB = 1024 * 1024;

function positiveInt(name: string, max: number) {
  return (value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < 1 || n > max)
      throw new CliError(EXIT.usage, `${name} must be a whole number between 1 and ${max}`);
    return n;
  };
}

function byteSize(value: string): number {
  const m = /^(\d+)\s*(k|m|g)?i?b?$/i.exec(value);
  if (!m) throw new CliError(EXIT.usage, `--part-size must be a size such as 16MiB`);
  const n = Number(m[1]) * { '': 1, k: 1024, m: MiB, g: 1024 * MiB }[(m[2] ?? '').toLowerCase() as '']!;
  if (n < 64 * 1024 || n > 1024 * MiB)
    throw new CliError(EXIT.usage, '--part-size must be between 64KiB and 1GiB');
  return n;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Filter options shared by `list` and `search`. */
function withFilters(cmd: Command): Command {
  return cmd
    .option('--type <type>', 'model or dataset (default: both)')
    .option('--author <name>', 'namespace')
    .option('--task <task>', 'pipeline tag, e.g. text-generation')
    .option('--library <name>', 'e.g. transformers, gguf')
    .option('--filter <tags>', 'tags, comma-separated')
    .option('--format <formats>', 'file formats: safetensors, gguf, onnx, …')
    .option('--min-size <size>', 'total size at least, e.g. 1GB')
    .option('--max-size <size>', 'total size at most, e.g. 500MB')
    .option('--cached', 'only repos with files cached on the mirror')
    .option(
      '--sort <key>',
      'id, downloads, likes, lastModified, lastAccess, mirrorDownloads, size, cachedSize',
    )
    .option('--limit <n>', 'at most this many per type')
    .option('--local', 'list the local Hugging Face cache instead of the mirror')
    .option(
      '--cache-dir <dir>',
      'the local Hugging Face cache (default: HF_HUB_CACHE, ~/.cache/huggingface/hub)',
    )
    .option('--json', 'JSON output');
}

/**
 * The `dingo` command. Returns the exit code; every failure is one line on stderr. `env` and `io`
 * are passed in (the process's in apps/cli, captured ones in tests).
 */
export async function runCli(argv: string[], env: CliEnv, io: CliOutput): Promise<number> {
  const clients: MirrorClient[] = [];
  const program = new Command('dingo');
  const clientFor = (connections = 16) => {
    const g = program.opts<{ endpoint?: string; token?: string }>();
    const client = new MirrorClient(
      resolveEndpoint(g.endpoint, env),
      resolveToken(g.token, env),
      connections,
    );
    clients.push(client);
    return client;
  };
  program
    .description('Pull, find and inspect models and datasets through a DingoSpeed mirror')
    .addOption(
      new Option(
        '--endpoint <url>',
        'the mirror (default: DINGO_ENDPOINT, HF_ENDPOINT, dingo login, http://localhost:8090)',
      ),
    )
    .addOption(new Option('--token <token>', 'access token (default: DINGO_TOKEN, HF_TOKEN, dingo login)'))
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .showSuggestionAfterError();

  program
    .command('pull')
    .description('download a repo (or files of it, or a file by sha256:<hex>) into the HF cache or a folder')
    .argument('<repo>', 'namespace/name[@revision], or sha256:<hex>')
    .option('--type <type>', 'model, dataset or space', 'model')
    .option('--revision <rev>', 'branch, tag or commit (default: main, or @rev)')
    .option('--include <glob>', 'only paths matching (repeatable)', collect, [])
    .option('--exclude <glob>', 'skip paths matching (repeatable)', collect, [])
    .option('--local-dir <dir>', 'write plain files here instead of the HF cache')
    .option('--dest <dir>', 'same as --local-dir')
    .option(
      '--cache-dir <dir>',
      'the HF cache (default: HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub)',
    )
    .option('--connections <n>', 'parallel range requests', positiveInt('--connections', 64), 8)
    .option('--part-size <size>', 'bytes per range request', byteSize, 16 * MiB)
    .option('--json', 'print a JSON report on stdout')
    .option('--quiet', 'no progress')
    .action(async (target: string, o) => {
      const client = clientFor(o.connections + 2);
      await pullCommand(
        client,
        target,
        {
          type: o.type,
          revision: o.revision,
          include: o.include,
          exclude: o.exclude,
          localDir: o.localDir ?? o.dest,
          cacheDir: hubCacheDir(o.cacheDir, env),
          connections: o.connections,
          partSize: o.partSize,
          retries: 3,
          json: Boolean(o.json),
          quiet: Boolean(o.quiet),
        },
        io,
      );
    });

  program
    .command('prefetch')
    .description(
      'have the mirror pull a whole revision into its cache, and follow it until done (maintainers)',
    )
    .argument('<repo>', 'namespace/name[@revision]')
    .option('--type <type>', 'model, dataset or space', 'model')
    .option('--revision <rev>')
    .option('--timeout <seconds>', 'give up after this long', positiveInt('--timeout', 7 * 24 * 3600), 3600)
    .option('--json', 'print a JSON report on stdout')
    .option('--quiet', 'no progress')
    .action(async (spec: string, o) =>
      prefetchCommand(
        clientFor(2),
        spec,
        {
          type: o.type,
          revision: o.revision,
          json: Boolean(o.json),
          quiet: Boolean(o.quiet),
          timeoutSeconds: o.timeout,
          intervalMs: 500,
        },
        io,
      ),
    );

  withFilters(
    program.command('list').description('what the mirror holds (its catalogue), or --local: the HF cache'),
  )
    .option('--search <text>', 'part of the repo id')
    .action(async (o) => listCommand(clientFor(), listOptions(o, env), io));

  withFilters(
    program.command('search').description('search the mirror catalogue').argument('<words...>'),
  ).action(async (words: string[], o) => listCommand(clientFor(), { ...listOptions(o, env), words }, io));

  program
    .command('info')
    .description('a repo as the mirror describes it')
    .argument('<repo>', 'namespace/name[@revision]')
    .option('--type <type>', 'model, dataset or space', 'model')
    .option('--revision <rev>')
    .option('--cache-dir <dir>')
    .option('--json', 'JSON output')
    .action(async (spec: string, o) =>
      infoCommand(
        clientFor(),
        spec,
        { ...o, cacheDir: hubCacheDir(o.cacheDir, env), json: Boolean(o.json) },
        io,
      ),
    );

  program
    .command('status')
    .description('mirror health, hit rate, disk use, upstreams')
    .option('--json', 'JSON output')
    .action(async (o) => statusCommand(clientFor(2), { json: Boolean(o.json) }, io));

  program
    .command('rm')
    .description('remove a repo from the local HF cache')
    .argument('<repo>')
    .option('--type <type>', 'model, dataset or space', 'model')
    .option('--cache-dir <dir>')
    .action(async (spec: string, o) => {
      const repo = parseRepoSpec(spec, o.type, undefined);
      const cache = new HfCacheRepo(hubCacheDir(o.cacheDir, env), repo.type, repo.id);
      if (!cache.remove())
        throw new CliError(EXIT.notFound, `${repo.id} is not in ${hubCacheDir(o.cacheDir, env)}`);
      io.err(`removed ${cache.dir}`);
    });

  program
    .command('login')
    .description('check a token on the mirror and store it with the endpoint (0600)')
    .action(async () => {
      const g = program.opts<{ endpoint?: string; token?: string }>();
      await loginCommand(resolveEndpoint(g.endpoint, env), g.token ?? env.DINGO_TOKEN, env, io);
    });

  program
    .command('logout')
    .description('forget the stored token')
    .action(() => logoutCommand(env, io));

  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0)
        return EXIT.ok;
      return EXIT.usage;
    }
    if (err instanceof CliError) {
      io.err(`dingo: ${err.message}`);
      return err.exitCode;
    }
    io.err(`dingo: ${(err as Error).message ?? String(err)}`);
    return EXIT.failure;
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

function listOptions(o: Record<string, unknown>, env: CliEnv): ListOptions {
  return {
    ...(o as Partial<ListOptions>),
    cached: Boolean(o.cached),
    local: Boolean(o.local),
    json: Boolean(o.json),
    cacheDir: hubCacheDir(o.cacheDir as string | undefined, env),
  };
}
