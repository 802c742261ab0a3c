import { CliError, EXIT } from '../cli-errors';
import { MirrorClient } from '../mirror-client';
import { CliOutput } from '../pull-progress';
import { CliEnv, forgetLogin, writeLogin } from '../settings';

/** `dingo login --token T`: checks the token on the mirror (`whoami-v2`), then stores it (0600). */
export async function loginCommand(
  endpoint: string,
  token: string | undefined,
  env: CliEnv,
  io: CliOutput,
): Promise<void> {
  if (!token) throw new CliError(EXIT.usage, 'dingo login needs --token (or DINGO_TOKEN)');
  const client = new MirrorClient(endpoint, token, 2);
  try {
    const { body } = await client.json<{ name?: string }>('/api/whoami-v2');
    const file = writeLogin(env, { endpoint, token });
    io.err(`logged in to ${endpoint} as ${body.name ?? '?'}; token stored in ${file}`);
  } finally {
    await client.close();
  }
}

export function logoutCommand(env: CliEnv, io: CliOutput): void {
  io.err(forgetLogin(env) ? 'logged out' : 'not logged in');
}
