/**
 * What a test needs from outside the repository, in one place. On a user's clone a missing requirement
 * skips the test with a one-line reason; under CI (CI=true) it fails loudly instead, so CI can never
 * silently lose coverage because a tool or ../shared went missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * ../shared/corpus beside the repository (CI has it; a user's clone does not). VFIO_PILOT_CORPUS points
 * elsewhere, for a git worktree that does not sit beside shared/.
 */
export const CORPUS_DIR = process.env.VFIO_PILOT_CORPUS || fileURLToPath(new URL('../../../shared/corpus', import.meta.url));

export interface Requirement {
  /** True when the test can run. */
  met: boolean;
  /** One line: what is missing and how to get it ('' when met). */
  reason: string;
}

const inCi = (): boolean => process.env.CI === 'true' || process.env.CI === '1';

function requirement(met: boolean, reason: string): Requirement {
  if (!met && inCi()) throw new Error(`CI requirement missing: ${reason}`);
  return { met, reason: met ? '' : reason };
}

/** The corpus at ../shared/corpus (optionally a file or folder under it). */
export function needCorpus(sub = ''): Requirement {
  const p = sub ? `${CORPUS_DIR}/${sub}` : CORPUS_DIR;
  return requirement(existsSync(p), `skipped: ${p} is not there (the test corpus sits beside the repository as ../shared in CI, or set VFIO_PILOT_CORPUS)`);
}

/** A file outside the repository that a tool needs (a DTD, a browser), with the apt package that ships it. */
export function needFile(file: string, aptPackage: string): Requirement {
  return requirement(existsSync(file), `skipped: ${file} is not there (apt-get install ${aptPackage}; .ci/run installs it)`);
}

/** A command on PATH (`apt-get install PACKAGE` names where it comes from). */
export function needTool(command: string, aptPackage: string): Requirement {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).status === 0;
  return requirement(found, `skipped: ${command} is not installed (apt-get install ${aptPackage}; .ci/run installs it)`);
}

/**
 * A test title that carries the skip reason (the default reporter shows only a count of skipped tests), and one
 * warning line per file in the run's output: a user sees what did not run and why.
 */
export function titled(req: Requirement, title: string): string {
  return req.met ? title : `${title} [${req.reason}]`;
}

const warned = new Set<string>();
/** Prints `FILE: skipped: why` once per file and reason when `req` is unmet; returns whether the test can run. */
export function runs(req: Requirement, file: string): boolean {
  if (!req.met && !warned.has(`${file}\0${req.reason}`)) {
    warned.add(`${file}\0${req.reason}`);
    console.warn(`${file}: ${req.reason}`);
  }
  return req.met;
}

/** Combines requirements: met when all are, reason of the first unmet one. */
export function needAll(...reqs: Requirement[]): Requirement {
  const unmet = reqs.find((r) => !r.met);
  return unmet ?? { met: true, reason: '' };
}

/** A libvirt daemon answering on qemu:///system (`libvirtd -d`; .ci/run starts one). */
export function needLibvirtSystem(): Requirement {
  const tool = needTool('virsh', 'libvirt-clients');
  if (!tool.met) return tool;
  const up = spawnSync('virsh', ['--connect', 'qemu:///system', 'uri'], { encoding: 'utf8', timeout: 20_000 }).status === 0;
  return requirement(up, 'skipped: no libvirt daemon answers on qemu:///system (start one with `libvirtd -d` as root; .ci/run does)');
}
