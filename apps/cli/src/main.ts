import { runCli } from '@dingo/cli-commands';

/** `dingo …`: the process's arguments, environment and streams; the exit code is the command's. */
async function main(): Promise<void> {
  const code = await runCli(process.argv.slice(2), process.env, {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    isTty: Boolean(process.stderr.isTTY),
  });
  process.exitCode = code;
}

void main();
