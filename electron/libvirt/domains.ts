/**
 * libvirt domains through virsh: list (with state and the host devices each holds), `dumpxml --inactive`,
 * `define` from edited text with the previous XML kept for undo, and undo. Every function answers a VmResult:
 * libvirt's refusals come back as its own words, and the caller's text is never touched.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { VmDefineResult, VmDomain, VmHistoryEntry, VmList, VmResult } from '../../shared/model/vms';
import { readDomainXml } from './domain-xml';
import { DomainHistory } from './history';
import { runVirsh, type VirshOptions } from './virsh';

export interface LibvirtOptions extends VirshOptions {
  /** Where define history lives; `new DomainHistory()` ($XDG_STATE_HOME/vfio-pilot) by default. */
  history?: DomainHistory;
}

const fail = (code: 'LIBVIRT_FAILED' | 'DOMAIN_GONE' | 'XML_INVALID' | 'NO_HISTORY', message: string) => ({ ok: false as const, error: { code, message } });

// virsh words a failed lookup as `failed to get domain 'NAME'` (virsh-util.c), whatever the driver.
const isNoDomain = (message: string): boolean => /failed to get domain/.test(message);

/** `uuid name` lines of `virsh list --all --uuid --name` (names may hold spaces: the uuid is the first word). */
export function parseUuidNameLines(stdout: string): { uuid: string; name: string }[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => {
      const space = l.indexOf(' ');
      return { uuid: l.slice(0, space), name: l.slice(space + 1).trim() };
    });
}

/**
 * Name → state from the `virsh list --all` table. Columns are padded to a common width, so the Name and
 * State columns start where their headings do (states hold spaces: `shut off`, `in shutdown`).
 */
export function parseListTable(stdout: string): Map<string, string> {
  const lines = stdout.split('\n');
  const headerAt = lines.findIndex((l) => /^\s*Id\s+Name\s+State\s*$/.test(l));
  const states = new Map<string, string>();
  if (headerAt === -1) return states;
  const header = lines[headerAt]!;
  const nameCol = header.indexOf('Name');
  const stateCol = header.indexOf('State');
  for (const line of lines.slice(headerAt + 1)) {
    if (/^-+$/.test(line.trim()) || line.trim() === '') continue;
    states.set(line.slice(nameCol, stateCol).trim(), line.slice(stateCol).trim());
  }
  return states;
}

/** Runs `fn` over `items`, at most `limit` at a time, results in order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Every domain of the connection (defined or transient) with its state and PCI hostdevs. */
export async function listDomains(options: LibvirtOptions): Promise<VmResult<VmList>> {
  const ids = await runVirsh(options, ['list', '--all', '--uuid', '--name']);
  if (!ids.ok) return ids;
  const table = await runVirsh(options, ['list', '--all']);
  if (!table.ok) return table;
  const states = parseListTable(table.value);
  const domains = await mapLimited(parseUuidNameLines(ids.value), 4, async ({ uuid, name }): Promise<VmDomain | null> => {
    // The live XML when running: the devices it holds now. By name: the test driver makes up a new uuid per
    // virsh process for domains its node file gives none.
    const xml = await runVirsh(options, ['dumpxml', '--domain', name]);
    // A domain undefined while we listed is simply not there any more.
    if (!xml.ok && isNoDomain(xml.error.message)) return null;
    const read = xml.ok ? readDomainXml(xml.value) : null;
    return { name, uuid, state: states.get(name) ?? 'unknown', hostdevs: read?.ok ? read.facts.hostdevs : [] };
  });
  return { ok: true, value: { connect: options.connect, domains: domains.filter((d): d is VmDomain => d !== null) } };
}

/** The persistent (inactive) XML of a domain, by name or uuid, exactly as libvirt prints it. */
export async function dumpInactiveXml(options: LibvirtOptions, domain: string): Promise<VmResult<string>> {
  const r = await runVirsh(options, ['dumpxml', '--inactive', '--domain', domain]);
  if (!r.ok) return isNoDomain(r.error.message) ? fail('DOMAIN_GONE', r.error.message) : r;
  // virsh prints a blank line after libvirt's text (which ends in its own newline): the editor shows libvirt's.
  return { ok: true, value: r.value.endsWith('\n\n') ? r.value.slice(0, -1) : r.value };
}

export interface DefineOptions {
  /**
   * The domain the text was opened from (name or uuid). When set and that domain no longer exists, nothing is
   * defined (DOMAIN_GONE): a save must not quietly recreate a domain someone removed.
   */
  expect?: string;
}

/** Writes `xml` to a private temp file, runs `virsh define FILE`, removes the file. */
async function defineFromText(options: LibvirtOptions, xml: string): Promise<VmResult<string>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfio-pilot-define-'));
  const file = path.join(dir, 'domain.xml');
  try {
    fs.writeFileSync(file, xml, { mode: 0o600, flag: 'wx' });
    return await runVirsh(options, ['define', '--file', file]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The history key of an existing domain XML: its uuid (libvirt always writes one), else its name. */
function keyOf(xml: string): string | null {
  const read = readDomainXml(xml);
  return read.ok ? (read.facts.uuid ?? read.facts.name) : null;
}

/**
 * Defines a domain from edited text. The domain's current inactive XML is kept in the history first (and
 * dropped again if libvirt refuses the new one, since nothing changed).
 */
export async function defineDomain(options: LibvirtOptions, xml: string, define: DefineOptions = {}): Promise<VmResult<VmDefineResult>> {
  const read = readDomainXml(xml);
  if (!read.ok) return fail('XML_INVALID', `the domain XML is not well-formed: ${read.message}`);
  const { name, uuid } = read.facts;
  if (name === null) return fail('XML_INVALID', 'the domain XML has no <name>');
  if (define.expect !== undefined) {
    const still = await dumpInactiveXml(options, define.expect);
    if (!still.ok) {
      return still.error.code === 'DOMAIN_GONE'
        ? fail('DOMAIN_GONE', `the domain '${define.expect}' no longer exists on ${options.connect} (${still.error.message}); nothing was defined`)
        : still;
    }
  }
  // libvirt matches an existing domain by uuid when the XML has one, else by name.
  const previous = await dumpInactiveXml(options, uuid ?? name);
  if (!previous.ok && previous.error.code !== 'DOMAIN_GONE') return previous;
  const history = options.history ?? new DomainHistory();
  const key = previous.ok ? keyOf(previous.value) : null;
  const saved: VmHistoryEntry | null = previous.ok && key !== null ? history.save(key, previous.value) : null;
  const defined = await defineFromText(options, xml);
  if (!defined.ok) {
    if (saved && key !== null) history.remove(key, saved.id);
    return defined;
  }
  const after = await dumpInactiveXml(options, uuid ?? name);
  const afterRead = after.ok ? readDomainXml(after.value) : null;
  const newUuid = afterRead?.ok ? afterRead.facts.uuid : null;
  return { ok: true, value: { name, uuid: uuid ?? newUuid ?? '', saved, message: defined.value.trim() } };
}

/** The uuid of a domain named by name or uuid (history is kept by uuid). */
async function uuidOf(options: LibvirtOptions, domain: string): Promise<VmResult<string>> {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(domain)) return { ok: true, value: domain.toLowerCase() };
  const r = await runVirsh(options, ['domuuid', '--domain', domain]);
  if (!r.ok) return isNoDomain(r.error.message) ? fail('DOMAIN_GONE', r.error.message) : r;
  return { ok: true, value: r.value.trim() };
}

/** The kept copies of a domain's XML, newest first. */
export async function domainHistory(options: LibvirtOptions, domain: string): Promise<VmResult<VmHistoryEntry[]>> {
  const uuid = await uuidOf(options, domain);
  if (!uuid.ok) return uuid;
  return { ok: true, value: (options.history ?? new DomainHistory()).list(uuid.value) };
}

export interface UndoResult {
  /** The copy that was defined again (and taken off the history). */
  restored: VmHistoryEntry;
  /** The XML now defined. */
  xml: string;
  message: string;
}

/** Defines the newest kept copy again and takes it off the history: one undo per saved define. */
export async function undoDefine(options: LibvirtOptions, domain: string): Promise<VmResult<UndoResult>> {
  const uuid = await uuidOf(options, domain);
  if (!uuid.ok) return uuid;
  const history = options.history ?? new DomainHistory();
  const newest = history.list(uuid.value)[0];
  if (!newest) return fail('NO_HISTORY', `no earlier XML of '${domain}' was kept (vfio-pilot keeps one before each save it makes)`);
  const xml = history.read(uuid.value, newest.id);
  const defined = await defineFromText(options, xml);
  if (!defined.ok) return defined;
  history.remove(uuid.value, newest.id);
  return { ok: true, value: { restored: newest, xml, message: defined.value.trim() } };
}
