/**
 * What one process costs, read from outside it (Linux /proc), so measuring does not disturb the process measured:
 * resident memory and CPU time, sampled on demand or on an interval to catch the peak of a phase.
 */
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

export interface ProcSample {
  /** Date.now() of the sample. */
  at: number;
  rssBytes: number;
  /** User + system CPU time since the process started. */
  cpuSeconds: number;
  threads: number;
}

let ticksPerSecond: number | undefined;

export async function sampleProc(pid: number): Promise<ProcSample> {
  const [status, stat] = await Promise.all([readFile(`/proc/${pid}/status`, 'utf8'), readFile(`/proc/${pid}/stat`, 'utf8')]);
  const rssKb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
  const threads = Number(/^Threads:\s+(\d+)/m.exec(status)?.[1]);
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis start at field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(rssKb) || !Number.isFinite(ticks)) throw new Error(`cannot read /proc/${pid}: unexpected format`);
  return { at: Date.now(), rssBytes: rssKb * 1024, cpuSeconds: ticks / (ticksPerSecond ??= clockTicks()), threads };
}

/** CPU seconds of each thread of a process, by thread id, with the thread's name. */
export async function threadCpu(pid: number): Promise<Map<string, { name: string; cpuSeconds: number }>> {
  const out = new Map<string, { name: string; cpuSeconds: number }>();
  const tids = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  await Promise.all(
    tids.map(async (tid) => {
      // A thread may end between the listing and the read.
      const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => undefined);
      if (!stat) return;
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, { name, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / (ticksPerSecond ??= clockTicks()) });
    }),
  );
  return out;
}

/** Samples a process on an interval between start() and stop(); stop() gives what the phase cost. */
export class ProcSampler {
  private readonly pid: number;
  private readonly intervalMs: number;
  private samples: ProcSample[] = [];
  private threadsAtStart = new Map<string, { name: string; cpuSeconds: number }>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(pid: number, intervalMs = 250) {
    this.pid = pid;
    this.intervalMs = intervalMs;
  }

  async start(): Promise<void> {
    this.threadsAtStart = await threadCpu(this.pid);
    this.samples = [await sampleProc(this.pid)];
    this.timer = setInterval(() => {
      sampleProc(this.pid).then(
        (sample) => this.samples.push(sample),
        () => {}, // the process is gone: stop() reports it
      );
    }, this.intervalMs);
  }

  async stop(): Promise<PhaseCost> {
    clearInterval(this.timer);
    this.timer = undefined;
    const last = await sampleProc(this.pid);
    const threads = await threadCpu(this.pid);
    const all = [...this.samples, last];
    const first = all[0]!;
    const seconds = (last.at - first.at) / 1000;
    const cpuSeconds = last.cpuSeconds - first.cpuSeconds;
    return {
      seconds,
      cpuSeconds,
      cpuShare: seconds > 0 ? cpuSeconds / seconds : 0,
      rssStart: first.rssBytes,
      rssEnd: last.rssBytes,
      rssPeak: Math.max(...all.map((s) => s.rssBytes)),
      threadsPeak: Math.max(...all.map((s) => s.threads)),
      busiestThreads: [...threads]
        .map(([tid, t]) => ({ name: t.name, cpuSeconds: t.cpuSeconds - (this.threadsAtStart.get(tid)?.cpuSeconds ?? 0) }))
        .sort((a, b) => b.cpuSeconds - a.cpuSeconds)
        .slice(0, 4),
    };
  }
}

export interface PhaseCost {
  seconds: number;
  cpuSeconds: number;
  /** CPU seconds per wall second (1 = one core busy). */
  cpuShare: number;
  rssStart: number;
  rssEnd: number;
  rssPeak: number;
  threadsPeak: number;
  /** The threads that used the most CPU in the phase (the JS thread is the process's name, "node"). */
  busiestThreads: { name: string; cpuSeconds: number }[];
}

function clockTicks(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return ticks > 0 ? ticks : 100;
  } catch {
    return 100; // every Linux build in use
  }
}
