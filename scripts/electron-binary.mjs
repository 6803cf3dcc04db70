// Where the Electron executable is, if the `electron` package was installed with one: the one check that
// `npm run setup` (to say which mode the user gets) and `npm start` (to pick that mode) share.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The Electron executable the `electron` package names, or null when it was installed without one. */
export function electronBinary() {
  try {
    // A fresh require each call: setup asks again after running Electron's install script.
    const require = createRequire(import.meta.url);
    const id = require.resolve('electron');
    delete require.cache[id];
    const binary = require(id);
    return typeof binary === 'string' && existsSync(binary) ? binary : null;
  } catch {
    return null; // "Electron failed to install correctly": the binary was never downloaded
  }
}
