/** `check` on this machine's real / : whatever it finds, it does not throw and every row is well formed. */
import { describe, expect, it } from 'vitest';
import { checkHost } from '../../electron/cli/check';
import { main } from '../../electron/cli/main';

describe('check on the real /', () => {
  it('reads without throwing and gives every check a status and evidence', () => {
    const { checks } = checkHost('/');
    expect(checks.length).toBeGreaterThanOrEqual(6);
    for (const c of checks) {
      expect(['ok', 'warn', 'fail', 'unknown']).toContain(c.status);
      expect(c.evidence.length).toBeGreaterThan(0);
    }
  });
  it('the CLI exits 0 or 1 (never 2) and agrees with the rows', async () => {
    let out = '';
    const code = await main(['check', '--json'], { stdout: (t) => (out += t), stderr: () => {} });
    const { checks } = JSON.parse(out) as { checks: { status: string }[] };
    expect(code).toBe(checks.some((c) => c.status === 'fail') ? 1 : 0);
  });
});
