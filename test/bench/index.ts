/**
 * `npm run bench`: every benchmark in turn, each in its own process (so one's memory and CPU figures do not carry
 * another's), or one of them with its own options:
 *
 *   npm run bench                              package, seeder, then swarm, with their defaults
 *   npm run bench -- swarm --viewers 6         one benchmark; options after its name go to it (--help lists them)
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const BENCHES = {
  package: 'package-bench.ts',
  seeder: 'seeder-bench.ts',
  swarm: 'swarm-bench.ts',
  progressive: 'progressive-bench.ts',
  live: 'live-bench.ts',
} as const;
type Name = keyof typeof BENCHES;

const USAGE = `usage: npm run bench [-- [${Object.keys(BENCHES).join('|')}] [options]]
  no name: every benchmark with its defaults; a name: that one, with the options that follow`;

function run(name: Name, args: string[]): number {
  console.log(`\n=== ${name} benchmark ===`);
  const script = join(import.meta.dirname, BENCHES[name]);
  const result = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { stdio: 'inherit' });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function main(argv: string[]): number {
  const [first, ...rest] = argv;
  if (first === '-h' || first === '--help') {
    console.log(USAGE);
    return 0;
  }
  if (first !== undefined && !first.startsWith('-')) {
    if (!(first in BENCHES)) {
      console.error(`bench: no benchmark named "${first}"\n${USAGE}`);
      return 2;
    }
    return run(first as Name, rest);
  }
  if (first !== undefined) {
    console.error(`bench: options go after a benchmark's name\n${USAGE}`);
    return 2;
  }
  // All of them: a failure is reported at the end, after the others have run.
  const failed = (Object.keys(BENCHES) as Name[]).filter((name) => run(name, []) !== 0);
  if (failed.length > 0) console.error(`\nbench: failed: ${failed.join(', ')}`);
  return failed.length > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
