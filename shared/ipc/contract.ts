/**
 * The one IPC contract both sides import (GitHub Desktop's ipc-shared, VS Code's one argument object per call).
 * Each channel names its request schema (checked at the main-process boundary and in the web bridge)
 * and its reply type. Adding a channel here is the only way to add one: the preload, the Electron
 * main process and the web bridge are all driven by this table, and test/ipc/contract-snapshot.test.ts
 * makes every change show up as a reviewed diff.
 */
import { z } from 'zod';
import type { HelperResult, Inventory } from '../model';
import type { HelperInstallStatus } from '../model/helper-install';
import type { ReadinessReport } from '../readiness/types';
import { PCI_ADDRESS_RE } from '../model/pci';

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

export const contract = {
  /** Read the whole host (or the configured root): devices, groups, NUMA, findings. */
  'host.scan': { request: z.object({}).strict(), reply: null as unknown as Inventory },
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
