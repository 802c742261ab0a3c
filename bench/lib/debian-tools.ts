import { execFileSync } from 'node:child_process';
import { existsSync, unlinkSync, writeFileSync } from 'node:fs';

/** A program the bench compares the mirror with, and the Debian packages that provide it. */
export interface DebianTool {
  name: string;
  /** Environment variable that names the binary explicitly. */
  envVar: string;
  candidates: string[];
  /** Tried in order: the first that installs wins. */
  packages: string[];
}

function find(tool: DebianTool): string | undefined {
  return process.env[tool.envVar] || tool.candidates.find((p) => existsSync(p));
}

/**
 * The tool's binary, installed from Debian's packages when missing (CI machines start fresh). A
 * package's own service must not start (nginx would listen on 0.0.0.0:80): a policy-rc.d that
 * refuses service starts is put in place for the install when the machine has none.
 */
export function ensureDebianTool(tool: DebianTool, log: (line: string) => void): string {
  const found = find(tool);
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${tool.name} is not installed and this is not root: run \`sudo apt-get install -y ${tool.packages[0]}\` (or set ${tool.envVar})`,
    );
  }
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy)
    writeFileSync(policy, '#!/bin/sh\n# dingo bench: no service starts during package install\nexit 101\n', {
      mode: 0o755,
    });
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (pkg: string) =>
    execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', pkg], {
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  try {
    log(`${tool.name} not found: installing it with apt-get (${tool.packages.join(', else ')})`);
    try {
      install(tool.packages[0]);
    } catch {
      // The package lists of a fresh machine may be missing or stale: refresh them once.
      execFileSync('apt-get', ['update', '-q'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
      const installed = tool.packages.some((pkg) => {
        try {
          install(pkg);
          return true;
        } catch {
          return false;
        }
      });
      if (!installed) throw new Error(`apt-get could not install ${tool.packages.join(' or ')}`);
    }
  } finally {
    if (ownPolicy) unlinkSync(policy);
  }
  const installed = find(tool);
  if (!installed) throw new Error(`apt-get finished but no ${tool.name} binary was found`);
  return installed;
}
