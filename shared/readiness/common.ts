/** Small helpers the readiness checks share: evidence lines, module lookups, kernel versions. */
import type { Inventory } from '../model/host';
import { kernelParams } from '../analysis/findings';
import type { Evidence, FileRead, ReadinessFacts } from './types';

export interface CheckInput {
  inventory: Inventory;
  facts: ReadinessFacts;
}

export const ev = (file: string, value: string): Evidence => ({ file, value });

/** Evidence for a read that did not give a value: `missing` or the error. */
export function readProblem(read: FileRead): Evidence {
  return ev(read.path, read.status === 'absent' ? 'missing' : `cannot be read: ${read.error ?? 'unknown error'}`);
}

/** Module names as the kernel compares them: `vfio-pci` and `vfio_pci` are the same module. */
export const moduleName = (name: string) => name.replaceAll('-', '_');

/** Whether `name` is in /proc/modules; null when that file was unreadable. */
export function isLoaded(input: CheckInput, name: string): boolean | null {
  const loaded = input.inventory.host.modules;
  return loaded === null ? null : loaded.some((m) => moduleName(m) === moduleName(name));
}

/** `builtin`, the .ko path under /lib/modules/RELEASE, or null when neither modules.builtin nor modules.dep lists it. */
export function moduleWhere(input: CheckInput, name: string): string | null {
  return input.facts.moduleFiles.find((m) => moduleName(m.name) === moduleName(name))?.where ?? null;
}

/** `6.2.0-39-generic` → [6, 2]; null when it does not start with a version. */
export function kernelVersion(release: string | null): [number, number] | null {
  const m = release ? /^(\d+)\.(\d+)/.exec(release) : null;
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** Whether the release is at least major.minor; null when unknown. */
export function kernelAtLeast(release: string | null, major: number, minor: number): boolean | null {
  const v = kernelVersion(release);
  if (!v) return null;
  return v[0] > major || (v[0] === major && v[1] >= minor);
}

/** The boot parameters, or null when /proc/cmdline was unreadable. */
export function params(input: CheckInput): Map<string, string | null> | null {
  const cmdline = input.inventory.host.cmdline;
  return cmdline === null ? null : kernelParams(cmdline);
}

export function cmdlineEvidence(input: CheckInput): Evidence {
  const cmdline = input.inventory.host.cmdline;
  return ev('/proc/cmdline', cmdline === null ? 'cannot be read' : cmdline);
}

/** The inventory's finding with this code (and subject), to reuse its words rather than write the rule twice. */
export function finding(input: CheckInput, code: string, subject: string | null = null) {
  return input.inventory.findings.find((f) => f.code === code && f.subject === subject) ?? null;
}

export function listWords(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

export function sizeWords(kib: number): string {
  return kib >= 1048576 ? `${kib / 1048576} GiB` : kib >= 1024 ? `${kib / 1024} MiB` : `${kib} KiB`;
}
