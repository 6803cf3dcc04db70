/**
 * Channel and method names of the IPC contract, without the schemas: the sandboxed preload and the renderer
 * import this file, so they do not carry zod. contract.ts checks that these names and its schemas agree.
 */
export const CHANNELS = [
  'host.scan', 'host.check', 'helper.preview', 'helper.run', 'helper.status', 'helper.install',
  'vms.list', 'vms.dumpxml', 'vms.define', 'vms.history', 'vms.undo',
  'boot.plan', 'boot.apply', 'boot.progress', 'boot.changes', 'boot.rollback', 'boot.oneshot',
] as const;
export type Channel = (typeof CHANNELS)[number];

/** Prefix of every Electron IPC channel name, so the preload can refuse anything else. */
export const IPC_PREFIX = 'vfio-pilot:';

/** The contract as named methods: what the preload exposes as `window.vfioPilot` and the web client implements. */
export const METHODS = {
  scanHost: 'host.scan',
  checkHost: 'host.check',
  previewHelper: 'helper.preview',
  runHelper: 'helper.run',
  helperStatus: 'helper.status',
  installHelper: 'helper.install',
  listVms: 'vms.list',
  dumpVmXml: 'vms.dumpxml',
  defineVm: 'vms.define',
  vmHistory: 'vms.history',
  undoVmDefine: 'vms.undo',
  planBoot: 'boot.plan',
  applyBoot: 'boot.apply',
  bootProgress: 'boot.progress',
  bootChanges: 'boot.changes',
  rollbackBoot: 'boot.rollback',
  oneshotBoot: 'boot.oneshot',
} as const satisfies Record<string, Channel>;
export type MethodName = keyof typeof METHODS;
