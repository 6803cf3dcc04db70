/** The plan as text for a terminal: layout, kernel arguments, each file's diff with its reason, commands, notes. */
import type { BootPlan } from './types';

export function formatPlan(plan: BootPlan): string {
  const l = plan.layout;
  const out = [`layout: ${l.distro}, ${l.bootloader}, ${l.initramfs}, ${l.firmware.toUpperCase()} (from ${l.evidence.map((e) => '/' + e).join(', ')})`];
  out.push(`selection: ${plan.selection.join(' ')} (${plan.method === 'ids' ? 'vfio-pci by vendor:device ID' : 'by address: driver_override from the initramfs'})`);
  if (!plan.files.length && !plan.commands.length && !plan.kernelArgs.add.length && !plan.kernelArgs.remove.length) {
    out.push('', 'nothing to change: this root already isolates the selection at boot');
  } else {
    out.push(`kernel arguments: add ${plan.kernelArgs.add.join(' ') || '-'}; remove ${plan.kernelArgs.remove.join(' ') || '-'}`);
    for (const f of plan.files) out.push('', `# ${f.path} (${f.before === null ? 'new' : 'changed'}, mode ${f.mode}): ${f.reason}`, f.diff.trimEnd());
    if (plan.commands.length) out.push('', 'commands, in order:');
    plan.commands.forEach((c, i) => out.push(`  ${i + 1}. ${c.argv.map(quote).join(' ')}    # ${c.reason}`));
  }
  const eh = plan.escapeHatch;
  out.push('', 'escape hatch:', ...eh.steps.map((s) => `  - ${s}`));
  out.push(
    eh.oneshot
      ? `  one-shot: ${eh.oneshot.argv.map(quote).join(' ')} (entry ${eh.oneshot.entry}: ${eh.oneshot.kernel}, ${eh.oneshot.initrd} copied from ${eh.oneshot.keep.from}, ${eh.oneshot.cmdline.join(' ')})`
      : `  one-shot: none: ${eh.oneshotUnavailable ?? ''}`,
  );
  if (plan.notes.length) out.push('', 'notes:', ...plan.notes.map((n) => `  - ${n}`));
  return out.join('\n') + '\n';
}

const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`);
