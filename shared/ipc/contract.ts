/**
 * The one IPC contract both sides import (GitHub Desktop's ipc-shared, VS Code's one argument object per call).
 * Each channel names its request schema (checked at the main-process boundary and in the web bridge)
 * and its reply type. Adding a channel here is the only way to add one: the preload, the Electron
 * main process and the web bridge are all driven by this table, and test/ipc/contract-snapshot.test.ts
 * makes every change show up as a reviewed diff.
 */
import { z } from 'zod';
import type { HelperResult, Inventory, VmDefineResult, VmHistoryEntry, VmList } from '../model';
import type { HelperInstallStatus } from '../model/helper-install';
import type { ReadinessReport } from '../readiness/types';
import type { BootChangesAnswer, BootPlanAnswer, BootProgressAnswer, BootRunAnswer } from '../boot/ipc-types';
import { PCI_ADDRESS_RE } from '../model/pci';
import { checkConnectUri } from '../vms/uri';
import type { DomainFinding } from '../domain/types';

const pciAddress = z.string().regex(PCI_ADDRESS_RE, 'a PCI address like 0000:01:00.0');

export const helperRequestSchema = z
  .object({
    verb: z.enum(['bind-vfio', 'unbind', 'restore']),
    addresses: z.array(pciAddress).min(1).max(64),
    withGroup: z.boolean().default(false),
    force: z.boolean().default(false),
  })
  .strict();
export type HelperRequest = z.input<typeof helperRequestSchema>;

/** A libvirt connection URI vfio-pilot passes to virsh (qemu:///system, qemu+ssh://host/system, test:///default...). */
const connectUri = z
  .string()
  .max(512)
  .superRefine((uri, ctx) => {
    const bad = checkConnectUri(uri);
    if (bad !== null) ctx.addIssue({ code: 'custom', message: bad });
  });
/** A domain by name or uuid (libvirt names are one line; virsh takes it as one argument). */
const domainRef = z.string().min(1).max(256).regex(/^[^\n\r\0]+$/, 'a domain name or uuid on one line');

const vmsListRequest = z.object({ connect: connectUri }).strict();
const vmsDomainRequest = z.object({ connect: connectUri, domain: domainRef }).strict();
export const vmsDefineRequestSchema = z
  .object({
    connect: connectUri,
    /** The edited domain XML, as the editor holds it (a 2,000-line domain is ~100 KB). */
    xml: z.string().min(1).max(512 * 1024),
    /** The domain the text was opened from: the save is refused if it has vanished meanwhile. */
    expect: domainRef.optional(),
  })
  .strict();
const bootSelection = z.object({ addresses: z.array(pciAddress).min(1).max(64) }).strict();

export const contract = {
  /** Read the whole host (or the configured root): devices, groups, NUMA, findings. */
  /**
   * `reread`: read every attribute again (the Refresh button), not only what a rescan reads (a rescan takes the
   * drivers from their listings and leaves a driver_override with no probe after it for the next probe).
   */
  'host.scan': { request: z.object({ reread: z.boolean().optional() }).strict(), reply: null as unknown as Inventory },
  /** The readiness checklist (what `vfio-pilot check --json` prints): status, evidence and fix per check. */
  'host.check': { request: z.object({}).strict(), reply: null as unknown as ReadinessReport },
  /** Run every check of the helper without privilege and list the exact writes it would make. */
  'helper.preview': { request: helperRequestSchema, reply: null as unknown as HelperResult },
  /** Run the helper (through pkexec on a real host) and return its answer. */
  'helper.run': { request: helperRequestSchema, reply: null as unknown as HelperResult },
  /** Is the system helper installed, root-owned, and speaking this app's protocol? (No privilege needed.) */
  'helper.status': { request: z.object({}).strict(), reply: null as unknown as HelperInstallStatus },
  /** The AppImage's one-time helper install (or removal) through pkexec, after the app explained it. */
  'helper.install': { request: z.object({ action: z.enum(['install', 'remove']) }).strict(), reply: null as unknown as HelperInstallStatus },
  /** The domains of a libvirt connection with state and the host PCI functions each holds (`vfio-pilot vms --json`). */
  'vms.list': { request: vmsListRequest, reply: null as unknown as VmList },
  /** A domain's persistent XML (`virsh dumpxml --inactive`), the text the editor opens. */
  'vms.dumpxml': { request: vmsDomainRequest, reply: null as unknown as { xml: string } },
  /**
   * Define edited XML; the previous XML is kept in the domain's history first. `findings`: the backend's own
   * analysis of the text it defined, against this host ([] for a remote connection).
   */
  'vms.define': { request: vmsDefineRequestSchema, reply: null as unknown as VmDefineResult & { findings: DomainFinding[] } },
  /** The kept copies of a domain's XML, newest first. */
  'vms.history': { request: vmsDomainRequest, reply: null as unknown as { entries: VmHistoryEntry[] } },
  /** Define the newest kept copy again (undo of the last save); replies with the XML now defined. */
  'vms.undo': { request: vmsDomainRequest, reply: null as unknown as { restored: VmHistoryEntry; xml: string; message: string } },
  /** The boot-time isolation plan for a selection (what `vfio-pilot plan --json` prints), or why there is none. */
  'boot.plan': { request: bootSelection, reply: null as unknown as BootPlanAnswer },
  /** Plan again on the backend and apply it through the helper as one change set. */
  'boot.apply': { request: bootSelection, reply: null as unknown as BootRunAnswer },
  /** The progress lines of the apply or rollback running now (polled while one runs). */
  'boot.progress': { request: z.object({}).strict(), reply: null as unknown as BootProgressAnswer },
  /** The recorded change sets, newest first. */
  'boot.changes': { request: z.object({}).strict(), reply: null as unknown as BootChangesAnswer },
  /** Roll one change set back through the helper. */
  'boot.rollback': { request: z.object({ id: z.string().regex(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/, 'a change set id') }).strict(), reply: null as unknown as BootRunAnswer },
  /** The escape hatch: boot the configuration from before a change set once (grub-reboot, bootctl set-oneshot) through the helper. */
  'boot.oneshot': { request: z.object({ id: z.string().regex(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/, 'a change set id') }).strict(), reply: null as unknown as BootRunAnswer },
} as const;

export { CHANNELS, IPC_PREFIX, METHODS } from './channels';
export type { Channel, MethodName } from './channels';
import type { Channel, METHODS } from './channels';

// Compile-time check that channels.ts names exactly the channels that have schemas here.
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const CHANNEL_NAMES_MATCH_SCHEMAS: SameKeys<keyof typeof contract, Channel> = true;
export type RequestOf<C extends Channel> = z.input<(typeof contract)[C]['request']>;
export type ParsedRequestOf<C extends Channel> = z.output<(typeof contract)[C]['request']>;
export type ReplyOf<C extends Channel> = (typeof contract)[C]['reply'];

export function isChannel(name: unknown): name is Channel {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(contract, name);
}

export type PilotApi = {
  [M in keyof typeof METHODS]: (
    request: RequestOf<(typeof METHODS)[M]>,
  ) => Promise<import('./result').Result<ReplyOf<(typeof METHODS)[M]>>>;
} & {
  /** Subscribe to "host changed" pushes from the backend; returns an unsubscribe function. */
  onHostChanged(listener: () => void): () => void;
  /** Where the backend runs: inside Electron or behind the loopback web bridge. */
  readonly transport: 'electron' | 'web';
};
