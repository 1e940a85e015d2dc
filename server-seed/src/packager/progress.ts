import cliProgress from 'cli-progress';

export type ProgressMode = 'auto' | 'bars' | 'lines' | 'none';

/** Progress of one title, in bytes of sample data copied. */
export interface TitleProgress {
  advance(bytes: number): void;
  finish(): void;
}

export interface Progress {
  /** A plain line ("packaged films/x: …"): always to the logger, and shown unless the mode is 'none'. */
  line(text: string): void;
  title(name: string, totalBytes: number): TitleProgress;
  stop(): void;
}

const NO_TITLE_PROGRESS: TitleProgress = { advance: () => {}, finish: () => {} };

/**
 * 'bars' draws one cli-progress bar per title on stdout with the plain lines above them; 'lines' writes the plain
 * lines to stdout; 'none' shows nothing; 'auto' is 'bars' on a TTY and 'lines' otherwise. The logger, when
 * given, receives every plain line in every mode (it is a tap, not the display).
 */
export function createProgress(mode: ProgressMode, logger?: (line: string) => void): Progress {
  const resolved = mode === 'auto' ? (process.stdout.isTTY ? 'bars' : 'lines') : mode;
  const tap = logger ?? (() => {});
  if (resolved === 'none') return { line: tap, title: () => NO_TITLE_PROGRESS, stop: () => {} };
  if (resolved === 'lines') {
    return {
      line: (text) => {
        tap(text);
        process.stdout.write(`${text}\n`);
      },
      title: () => NO_TITLE_PROGRESS,
      stop: () => {},
    };
  }
  return barsProgress(tap);
}

function barsProgress(tap: (line: string) => void): Progress {
  const megabytes = (bytes: number): string => (bytes / 1e6).toFixed(1);
  const bars = new cliProgress.MultiBar(
    {
      stream: process.stdout,
      format: ' {bar} {percentage}% | {done}/{size} MB | {title}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      autopadding: true,
      noTTYOutput: !process.stdout.isTTY,
    },
    cliProgress.Presets.shades_classic,
  );
  let stopped = false;
  return {
    line: (text) => {
      tap(text);
      if (!bars.isActive) {
        process.stdout.write(`${text}\n`);
        return;
      }
      // Above the bars, at once: cli-progress would otherwise hold the line until its next redraw.
      bars.log(`${text}\n`);
      bars.update();
    },
    title: (name, totalBytes) => {
      const total = Math.max(1, totalBytes);
      const bar = bars.create(total, 0, { title: name, done: megabytes(0), size: megabytes(totalBytes) });
      let done = 0;
      return {
        advance: (bytes) => {
          done += bytes;
          bar.update(Math.min(done, total), { done: megabytes(done) });
        },
        finish: () => bar.update(total, { done: megabytes(totalBytes) }),
      };
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      bars.stop();
    },
  };
}
