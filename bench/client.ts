/**
 * The load generator the HTTP benchmarks use: wrk when installed (`apt-get install wrk`),
 * else autocannon; `BENCH_CLIENT=autocannon` forces autocannon.
 */
import { execFileSync } from 'node:child_process';

function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    return (e as { status?: number }).status === 1; // wrk --version exits 1 after printing
  }
}

export const USE_WRK = process.env.BENCH_CLIENT !== 'autocannon' && hasWrk();
