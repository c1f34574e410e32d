/**
 * The `gatehouse` command as a child process (tsx over src/cli/run.ts) on one database,
 * with the outer shell's GATEHOUSE_* variables left out and a fixed secret.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const ENTRY = join(ROOT, 'src/cli/run.ts');
const TSX = import.meta.resolve('tsx');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The outer shell's environment without its GATEHOUSE_* variables, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GATEHOUSE_')) env[k] = v;
  return { ...env, ...extra };
}

/** `gatehouse <args>` run to its end in `cwd` with `env`, standard input `input`. */
export function runCli(args: string[], cwd: string, env: NodeJS.ProcessEnv, input = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, ENTRY, ...args], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** A runner of `gatehouse <args> --db <db>` in `dir`, standard input `input`. */
export function cliRunner(dir: string, db: string, secret: string): (args: string[], input?: string) => Promise<CliResult> {
  return (args, input = '') => runCli([...args, '--db', db], dir, cleanEnv({ GATEHOUSE_SECRET_KEY: secret }), input);
}
