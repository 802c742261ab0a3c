import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError, EXIT } from './cli-errors';

export const DEFAULT_ENDPOINT = 'http://localhost:8090';

/** What the CLI reads from its environment, once (the program passes `process.env`). */
export interface CliEnv {
  DINGO_ENDPOINT?: string;
  HF_ENDPOINT?: string;
  DINGO_TOKEN?: string;
  HF_TOKEN?: string;
  DINGO_CONFIG_DIR?: string;
  HF_HOME?: string;
  HF_HUB_CACHE?: string;
  XDG_CONFIG_HOME?: string;
}

export interface StoredLogin {
  endpoint?: string;
  token?: string;
}

/** `dingo login` keeps the endpoint and token here, readable by the owner only. */
export function configFile(env: CliEnv): string {
  const dir = env.DINGO_CONFIG_DIR ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'dingo');
  return join(dir, 'config.json');
}

export function readLogin(env: CliEnv): StoredLogin {
  const file = configFile(env);
  if (!existsSync(file)) return {};
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as StoredLogin;
    return typeof parsed === 'object' && parsed ? parsed : {};
  } catch (err) {
    throw new CliError(EXIT.usage, `${file} is not valid JSON (${(err as Error).message}): fix or delete it`);
  }
}

export function writeLogin(env: CliEnv, login: StoredLogin): string {
  const file = configFile(env);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

export function forgetLogin(env: CliEnv): boolean {
  const file = configFile(env);
  if (!existsSync(file)) return false;
  rmSync(file);
  return true;
}

/** The mirror to talk to: `--endpoint`, then DINGO_ENDPOINT, HF_ENDPOINT, the login file, localhost. */
export function resolveEndpoint(flag: string | undefined, env: CliEnv): string {
  const raw = flag ?? env.DINGO_ENDPOINT ?? env.HF_ENDPOINT ?? readLogin(env).endpoint ?? DEFAULT_ENDPOINT;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(EXIT.usage, `endpoint ${JSON.stringify(raw)} is not a URL (e.g. http://mirror:8090)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliError(EXIT.usage, `endpoint ${raw} must be http:// or https://`);
  return url.toString().replace(/\/+$/, '');
}

/** The token: `--token`, then DINGO_TOKEN, HF_TOKEN, the login file; none is anonymous. */
export function resolveToken(flag: string | undefined, env: CliEnv): string | undefined {
  return flag ?? env.DINGO_TOKEN ?? env.HF_TOKEN ?? readLogin(env).token;
}

/** The Hugging Face cache (`HF_HUB_CACHE`, `$HF_HOME/hub`, `~/.cache/huggingface/hub`). */
export function hubCacheDir(flag: string | undefined, env: CliEnv): string {
  return flag ?? env.HF_HUB_CACHE ?? join(env.HF_HOME ?? join(homedir(), '.cache', 'huggingface'), 'hub');
}
