#!/usr/bin/env node
// The last line of `npm test`: one count over every suite that ran (vitest, Playwright e2e, the kernel bench),
// from the reports each wrote, so a reader (or CI) sees "N passed, N failed, N skipped" in one place.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const read = (rel) => {
  const file = path.join(repo, rel);
  if (!existsSync(file)) throw new Error(`${rel} is missing: that suite did not run or did not write its report`);
  return JSON.parse(readFileSync(file, 'utf8'));
};

const unit = read('test-results/vitest.json');
const e2e = read('test-results/e2e.json').stats;
const kernel = read('e2e/artifacts/kernel/summary.json');

const suites = [
  ['unit', unit.numPassedTests, unit.numFailedTests, unit.numPendingTests + unit.numTodoTests],
  ['e2e', e2e.expected, e2e.unexpected + e2e.flaky, e2e.skipped],
  ['kernel', kernel.passed, kernel.failed + kernel.missing, kernel.skipped ?? 0],
];
for (const [name, p, f, s] of suites) console.log(`  ${name}: ${p} passed, ${f} failed, ${s} skipped`);
const total = suites.reduce((acc, [, p, f, s]) => [acc[0] + p, acc[1] + f, acc[2] + s], [0, 0, 0]);
console.log(`vfio-pilot: ${total[0]} passed, ${total[1]} failed, ${total[2]} skipped`);
process.exitCode = total[1] === 0 ? 0 : 1;
