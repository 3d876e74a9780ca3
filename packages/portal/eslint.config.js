// The workspace's lint configuration, plus the browser globals the page (src/app) uses: the root
// config lists Node's only, and `globals` is not a dependency, so they are named here by hand.
import root from '../../eslint.config.js';

const browser = Object.fromEntries(
  ['window', 'document', 'EventSource', 'MessageEvent', 'HTMLElement', 'HTMLDialogElement', 'HTMLInputElement', 'KeyboardEvent', 'Event', 'history', 'location', 'navigator', 'performance', 'requestAnimationFrame', 'cancelAnimationFrame', 'Intl'].map((name) => [name, 'readonly']),
);

export default [...root, { files: ['src/app/**/*.{ts,tsx}', 'test/**/*.ts'], languageOptions: { globals: browser } }];
