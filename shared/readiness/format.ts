/** The checklist in words: counts, the overall status, and the text (CLI) and Markdown (report) renderings. */
import type { Check, CheckStatus } from './types';

/** How many checks have each status. */
export function countStatuses(checks: Check[]): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0, unknown: 0 };
  for (const c of checks) counts[c.status]++;
  return counts;
}

/** The whole list in one word: fail beats warn beats unknown beats ok. */
export function overallStatus(checks: Check[]): CheckStatus {
  const c = countStatuses(checks);
  return c.fail ? 'fail' : c.warn ? 'warn' : c.unknown ? 'unknown' : 'ok';
}

export const STATUS_WORD: Record<CheckStatus, string> = { ok: 'OK', warn: 'WARN', fail: 'FAIL', unknown: 'UNKNOWN' };

/** The checklist as text (CLI) or Markdown (the report): status words, never colour alone. */
export function formatChecks(checks: Check[], style: 'text' | 'markdown'): string {
  const out: string[] = [];
  for (const c of checks) {
    if (style === 'text') {
      out.push(`[${STATUS_WORD[c.status].padEnd(7)}] ${c.title}`, `          ${c.verdict}`);
      for (const e of c.evidence) out.push(`          evidence: ${e.file}: ${e.value}`);
      if (c.fix) out.push(`          fix: ${c.fix.text}`);
      if (c.fix?.action && 'command' in c.fix.action) out.push(`          run: ${c.fix.action.command}`);
      if (c.fix?.action && 'screen' in c.fix.action) out.push(`          in the app: ${describeScreenAction(c.fix.action)}`);
    } else {
      const code = (t: string) => '`' + t.replace(/`/g, "'") + '`';
      out.push(`- **${STATUS_WORD[c.status]}** ${c.title}: ${c.verdict}`);
      for (const e of c.evidence) out.push(`  - evidence: ${code(e.file)}: ${code(e.value)}`);
      if (c.fix) out.push(`  - fix: ${c.fix.text}`);
      if (c.fix?.action && 'command' in c.fix.action) out.push(`  - run: ${code(c.fix.action.command)}`);
    }
  }
  return out.join('\n') + '\n';
}

export function describeScreenAction(action: { screen: 'devices'; group?: number; address?: string }): string {
  return `Devices${action.group !== undefined ? `, IOMMU group ${action.group}` : ''}${action.address ? `, ${action.address}` : ''}`;
}
