// What `milab class watch` does (registered, with its options, in class-watch.ts), loaded only
// when it runs: load the class, watch it (class/watch.ts) drawing on the terminal
// (class/watch-terminal.ts), stop cleanly on Ctrl-C / SIGTERM.
import { resolve } from 'node:path';
import { findLab } from '@milab/labs';
import { loadClass } from '../class/folder.js';
import { useColor } from '../class/report-terminal.js';
import { DEFAULT_PORT, runWatch, watchUsage } from '../class/watch.js';
import { WatchDisplay } from '../class/watch-terminal.js';
import { parsePrograms } from './class-grade-actions.js';
import type { ClassWatchOptions } from './class-watch.js';

function labIds(labs: readonly string[] | undefined): string[] | undefined {
  return labs?.map((lab) => {
    try {
      return findLab(lab).id;
    } catch {
      throw watchUsage(`unknown lab '${lab}' in --lab.`, 'Name labs by number: `--lab 01 02`.');
    }
  });
}

/** `milab class watch`. */
export async function classWatch(options: ClassWatchOptions): Promise<void> {
  const dir = options.class ?? process.env.MILAB_CLASS_DIR ?? '.';
  const folder = loadClass(dir);
  const labs = labIds(options.lab);
  const programs = parsePrograms(options.program);
  const screen = process.stdout;
  const display = new WatchDisplay(screen, { color: useColor(screen) });
  const stop = new AbortController();
  const warned = new Set<string>();
  const onSignal = () => stop.abort();
  const onResize = () => display.redraw();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  screen.on('resize', onResize);
  try {
    const outcome = await runWatch({
      folder,
      // Each round reads the folder again: a learner added to the roster mid-workshop shows up.
      reload: () => loadClass(dir),
      ...(labs ? { labs } : {}),
      programs,
      ...(options.reports ? { reportsDir: resolve(options.reports) } : {}),
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      ...(options.interval !== undefined ? { interval: options.interval } : {}),
      ...(options.serve !== undefined ? { serve: options.serve === true ? DEFAULT_PORT : options.serve } : {}),
      ...(options.once ? { once: true } : {}),
      signal: stop.signal,
      onState: (state, event) => display.show(state, event),
      onServe: (server) => display.serving(server.url),
      // Each round's grading warns afresh: once is enough.
      onWarning: (text) => {
        if (warned.has(text)) return;
        warned.add(text);
        if (display.live) display.note(text);
        else process.stderr.write(`${text}\n`);
      },
      ...(display.live ? { onProgress: (done: number, total: number) => display.progress(done, total) } : {}),
    });
    display.stop();
    // Stopped by Ctrl-C / SIGTERM: a clean end. --once: as `milab class grade` (its error shown as one).
    if (stop.signal.aborted) process.exitCode = 0;
    else if (outcome.error !== undefined) throw outcome.error;
    else process.exitCode = outcome.exitCode;
  } finally {
    display.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    screen.off('resize', onResize);
  }
}
