/**
 * Every test file gets a cache directory of its own (vitest setupFiles): the pci.ids names cache
 * (electron/host/pciids-cache.ts) of a scan in a test, or of a CLI a test starts (it inherits the environment),
 * never reads or writes the user's ~/.cache, and one file's cache never answers for another's.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfio-pilot-test-cache-'));
process.env.XDG_CACHE_HOME = dir;
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
