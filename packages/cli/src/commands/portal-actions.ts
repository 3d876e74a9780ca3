// What `milab portal` does (registered, with its options, in portal.ts), loaded only when it runs.
import { spawn } from 'node:child_process';
import { EmulatorNotRunningError, MilabError } from '@milab/core';
import { defaultStateDir, parseConfig, readConnection } from '@milab/emulator';

export interface PortalOptions {
  open?: boolean;
  stateDir?: string;
  json?: boolean;
}

/** The program that opens a URL in the default browser, per platform. */
function opener(url: string): { command: string; args: string[] } {
  if (process.platform === 'darwin') return { command: 'open', args: [url] };
  if (process.platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""', url.replace(/&/g, '^&')] };
  return { command: 'xdg-open', args: [url] };
}

function openInBrowser(url: string): Promise<void> {
  const { command, args } = opener(url);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new MilabError(`could not open a browser: ${command} ${error.code === 'ENOENT' ? 'is not installed' : `failed (${error.code ?? error.message})`}.`, {
          code: 'MILAB_PORTAL_OPEN',
          hint: 'Run `./milab portal` (without --open) and paste the address it prints into your browser.',
          exitCode: 2,
        }),
      ),
    );
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}

export async function portal(options: PortalOptions): Promise<void> {
  const stateDir = options.stateDir ? parseConfig({ stateDir: options.stateDir, port: 0 }).stateDir : defaultStateDir();
  const connection = readConnection(stateDir);
  if (!connection) throw new EmulatorNotRunningError(stateDir);
  const url = connection.portalUrl;
  if (!url) {
    throw new MilabError(`the emulator at ${connection.url} has no portal: it was started by an older milab.`, {
      code: 'MILAB_PORTAL_UNAVAILABLE',
      hint: 'Restart it: `./milab emulator stop && ./milab emulator start --detach`.',
      exitCode: 2,
    });
  }
  const plain = url.replace(/#.*$/, '');
  if (options.json) {
    console.log(JSON.stringify({ url, portal: plain }));
    return;
  }
  if (options.open) {
    await openInBrowser(url);
    console.log(`Opened the portal in your browser: ${plain}`);
    console.log('Sign in as the learner to do the labs; as the grader, every change is refused (it reads only).');
    return;
  }
  console.log(`The emulator's portal (open this address in a browser on this machine; its key is valid until the emulator stops):`);
  console.log(`  ${url}`);
  console.log('The browser warns about the certificate once: the emulator\'s own CA signed it. Sign in as the learner to do the labs.');
}
