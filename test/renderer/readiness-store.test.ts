/** The readiness store: last answer wins, errors kept as data; the rail dot from the checks' statuses. */
import { describe, expect, it } from 'vitest';
import type { PilotApi, Result } from '../../shared/ipc';
import type { Check, ReadinessReport } from '../../shared/readiness/types';
import { createReadinessStore, selectReadinessStatus } from '../../renderer/src/stores/readiness';
import { hostReportMarkdown } from '../../renderer/src/features/readiness/hostReport';
import { sampleInventory } from './sample-inventory';

const check = (id: string, status: Check['status']): Check => ({ id, status, title: `Check ${id}`, verdict: `${id} verdict`, evidence: [{ file: '/proc/x', value: 'y' }], fix: status === 'ok' ? null : { text: `fix ${id}`, action: { command: `run ${id}` } } });

function fakeApi() {
  const pending: ((r: Result<ReadinessReport>) => void)[] = [];
  const api = {
    transport: 'web',
    checkHost: () => new Promise((resolve) => pending.push(resolve)),
  } as unknown as PilotApi;
  return { api, pending };
}

describe('readiness store', () => {
  it('keeps only the newest answer and records errors', async () => {
    const f = fakeApi();
    const store = createReadinessStore(() => f.api);
    const first = store.getState().refresh();
    const second = store.getState().refresh();
    f.pending[1]!({ ok: true, value: { checks: [check('a', 'ok')] } });
    f.pending[0]!({ ok: true, value: { checks: [check('old', 'fail')] } });
    await Promise.all([first, second]);
    expect(store.getState().report?.checks.map((c) => c.id)).toEqual(['a']);
    const third = store.getState().refresh();
    f.pending[2]!({ ok: false, error: { code: 'HOST_READ_FAILED', message: 'gone' } });
    await third;
    expect(store.getState().error?.code).toBe('HOST_READ_FAILED');
    expect(store.getState().report?.checks.map((c) => c.id)).toEqual(['a']);
  });

  it('rail dot: fail → blocked, warn or unknown → attention, all ok → ok, nothing read → unknown', () => {
    const s = (checks: Check[] | null) => selectReadinessStatus({ report: checks && { checks }, loading: false, error: null, refresh: async () => {} });
    expect(s([check('a', 'ok'), check('b', 'fail'), check('c', 'warn')])).toBe('blocked');
    expect(s([check('a', 'ok'), check('c', 'warn')])).toBe('attention');
    expect(s([check('a', 'ok'), check('c', 'unknown')])).toBe('attention');
    expect(s([check('a', 'ok')])).toBe('ok');
    expect(s(null)).toBe('unknown');
  });

  it('the Markdown report carries every check with its status word, evidence and fix', () => {
    const md = hostReportMarkdown(sampleInventory(), [check('a', 'ok'), check('b', 'fail')]);
    expect(md).toContain('## Readiness checks (2)');
    expect(md).toContain('- **OK** Check a: a verdict');
    expect(md).toContain('- **FAIL** Check b: b verdict');
    expect(md).toContain('  - evidence: `/proc/x`: `y`');
    expect(md).toContain('  - fix: fix b');
    expect(md).toContain('  - run: `run b`');
    expect(md.indexOf('## Readiness checks')).toBeLessThan(md.indexOf('## Findings'));
  });
});
