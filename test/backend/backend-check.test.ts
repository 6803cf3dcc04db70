/** host.check over the backend: the same report as `vfio-pilot check --json`, validated requests, read errors as data. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createBackend } from '../../electron/backend/backend';
import { checkHost } from '../../electron/cli/check';
import type { ReadinessReport } from '../../shared/readiness';
import { buildFixtureRoot } from '../fixtures/builder';
import { fixtureHosts } from '../fixtures/hosts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'backend-check-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('host.check', () => {
  const root = buildFixtureRoot(fixtureHosts['consumer-shared-group']!, path.join(tmp, 'consumer'));
  const backend = createBackend({ root, helperMode: 'in-process', log: () => {} });
  afterAll(() => backend.close());

  it('answers the checklist the CLI prints for the same root', async () => {
    const result = await backend.dispatch('host.check', {});
    expect(result.ok).toBe(true);
    const report = (result as { value: ReadinessReport }).value;
    expect(report).toEqual(checkHost(root));
    expect(report.checks.find((c) => c.id === 'gpu:0000:04:00.0')?.status).toBe('warn');
  });

  it('refuses a payload with fields, and an unreadable root is HOST_READ_FAILED', async () => {
    const bad = await backend.dispatch('host.check', { root: '/' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    const gone = createBackend({ root: path.join(tmp, 'nowhere'), helperMode: 'in-process', log: () => {} });
    expect(await gone.dispatch('host.check', {})).toMatchObject({ ok: false, error: { code: 'HOST_READ_FAILED' } });
    gone.close();
  });
});
