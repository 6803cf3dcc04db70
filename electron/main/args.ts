/** Command-line flags of the Electron main process: `--root DIR`, `--pci-ids FILE` (others belong to Chromium). */

export interface MainArgs {
  root: string;
  pciIdsPath?: string;
}

/**
 * Reads our two flags from Electron's argv. Lenient on purpose: Chromium and Electron add switches of their
 * own (and `electron .` puts the app path in front), so unknown arguments are left alone, not refused.
 */
export function parseMainArgs(argv: readonly string[]): MainArgs {
  const valueOf = (name: string): string | undefined => {
    let found: string | undefined;
    argv.forEach((arg, i) => {
      if (arg === `--${name}`) found = argv[i + 1];
      else if (arg.startsWith(`--${name}=`)) found = arg.slice(name.length + 3);
    });
    return found === '' ? undefined : found;
  };
  const root = valueOf('root') ?? '/';
  const pciIdsPath = valueOf('pci-ids');
  return pciIdsPath === undefined ? { root } : { root, pciIdsPath };
}
