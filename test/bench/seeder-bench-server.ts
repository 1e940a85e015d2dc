/**
 * The seeder benchmark's server child: p2p-seed (HTTP origin, tracker, WebRTC seeder) alone in its process, so
 * the parent can read its memory and CPU from /proc. Started by seeder-bench.ts with the collection directory and
 * a JSON object of extra startServer options; reports its URL, then answers memory and log requests.
 *
 *   node --import tsx --expose-gc test/bench/seeder-bench-server.ts COLLECTION '{"seedLimits":{"maxPeers":400}}'
 */
import { startServer, type ServerOptions } from '../../server-seed/src/server.ts';
import { serveParent, tellParent, type MemoryUsage, type ServerRequest } from './seeder-bench-ipc.ts';

const LOG_LINES_KEPT = 200;

async function main(): Promise<void> {
  const [root, extraJson] = process.argv.slice(2);
  if (!root) throw new Error('usage: seeder-bench-server.ts COLLECTION [OPTIONS_JSON]');
  // Options this version of startServer may not know (the seeder's limits) are passed through untyped, and
  // ignored by a server that does not take them.
  const extra = JSON.parse(extraJson ?? '{}') as Partial<ServerOptions>;
  const lines: string[] = [];
  let logged = 0;
  const server = await startServer({
    ...extra,
    root,
    port: 0,
    host: '127.0.0.1',
    logger: (line) => {
      logged += 1;
      lines.push(line);
      if (lines.length > LOG_LINES_KEPT) lines.shift();
    },
  });
  serveParent(async (body) => {
    const request = body as ServerRequest;
    switch (request.type) {
      case 'memory': {
        const gc = (globalThis as { gc?: () => void }).gc;
        if (request.gc && gc) {
          gc();
          gc();
        }
        const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
        return { rss, heapUsed, heapTotal, external, arrayBuffers } satisfies MemoryUsage;
      }
      case 'log':
        return { logged, lines: [...lines] };
      case 'close':
        await server.close();
        // node-datachannel's threads may keep the process up: leave once the reply is out.
        setTimeout(() => process.exit(0), 100);
        return null;
    }
  });
  tellParent({ type: 'ready', url: server.url, pid: process.pid });
}

main().catch((error: unknown) => {
  console.error(`seeder-bench-server: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
