#!/usr/bin/env node
// `npm run icons`: the app icon in the usual sizes, from the one source image build-resources/icon.svg, into
// build-resources/icons/NxN.png (the layout electron-builder's linux.icon reads and that the packages install
// under /usr/share/icons/hicolor/NxN/apps/). The PNGs are committed, so building packages needs no rasterizer;
// test/packaging/icons.test.ts checks they are still what the source gives. rsvg-convert (apt librsvg2-bin)
// renders SVG exactly and is one apt package, where an npm rasterizer (sharp, resvg) is a native dependency.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ICON_SIZES = [16, 24, 32, 48, 64, 128, 256, 512];
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const ICON_SOURCE = path.join(root, 'build-resources', 'icon.svg');

/** Renders the source at `size` into `out`; throws with the reason (rsvg-convert missing or failing). */
export function renderIcon(size, out) {
  const r = spawnSync('rsvg-convert', ['--width', String(size), '--height', String(size), '--format', 'png', '--output', out, ICON_SOURCE], { encoding: 'utf8' });
  if (r.error) throw new Error(`rsvg-convert: ${r.error.message} (apt-get install librsvg2-bin)`);
  if (r.status !== 0) throw new Error(`rsvg-convert failed for ${size}px: ${r.stderr.trim()}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] ?? path.join(root, 'build-resources', 'icons');
  mkdirSync(dir, { recursive: true });
  for (const size of ICON_SIZES) renderIcon(size, path.join(dir, `${size}x${size}.png`));
  console.log(`icons: ${ICON_SIZES.join(', ')} px from ${path.relative(root, ICON_SOURCE)} into ${path.relative(root, dir)}/`);
}
