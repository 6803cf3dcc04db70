#!/usr/bin/env node
// `npm run screenshots`: the AppStream screenshots (build-resources/linux/*.metainfo.xml) are the e2e suite's own
// pictures of the app on the eight-GPU fixture host. After an e2e run (e2e/artifacts/, not committed), this
// copies the chosen ones into build-resources/screenshots/, which is committed and which the metainfo links to.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
/** build-resources/screenshots/NAME ← e2e/artifacts/FILE (and the spec that takes it). */
export const SCREENSHOTS = [
  { name: 'devices.png', from: 'devices-eight-gpu-group-panel.png', spec: 'e2e/devices.spec.ts' },
  { name: 'readiness.png', from: 'readiness-eight-gpu.png', spec: 'e2e/readiness.spec.ts' },
  { name: 'bind.png', from: 'bind-dialog.png', spec: 'e2e/bind.spec.ts' },
];

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = path.join(root, 'build-resources', 'screenshots');
  mkdirSync(out, { recursive: true });
  const missing = SCREENSHOTS.filter((s) => !existsSync(path.join(root, 'e2e', 'artifacts', s.from)));
  if (missing.length > 0) {
    console.error(`screenshots: run these e2e specs first: ${missing.map((s) => `${s.spec} (${s.from})`).join(', ')}`);
    process.exit(1);
  }
  for (const s of SCREENSHOTS) copyFileSync(path.join(root, 'e2e', 'artifacts', s.from), path.join(out, s.name));
  console.log(`screenshots: ${SCREENSHOTS.map((s) => s.name).join(', ')} into build-resources/screenshots/`);
}
