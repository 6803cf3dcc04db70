/** Kernel command-line arguments: which to add and remove, and edits of a whitespace-separated argument list. */

const key = (arg: string) => arg.split('=')[0]!.replaceAll('_', '-');

/** Kernel args that would undo the isolation and so go: IOMMU switched off, or a stale vfio-pci.ids list. */
export function argsToRemove(current: string[], add: string[]): string[] {
  const wanted = new Set(add);
  const addKeys = new Set(add.map(key));
  return current.filter((a) => {
    if (wanted.has(a)) return false;
    if (['intel-iommu=off', 'amd-iommu=off', 'iommu=off'].includes(a.replaceAll('_', '-'))) return true;
    // One value per key: an older vfio-pci.ids (or iommu=) list is replaced, and a list that would grab a host
    // card with the same IDs goes even when nothing replaces it.
    const k = key(a);
    return k === 'vfio-pci.ids' || (addKeys.has(k) && k !== 'rd.driver.pre');
  });
}

/** The args with `remove` taken out and the missing ones of `add` appended, order otherwise kept. */
export function editArgs(current: string[], add: string[], remove: string[]): string[] {
  const gone = new Set(remove);
  const kept = current.filter((a) => !gone.has(a));
  return [...kept, ...add.filter((a) => !kept.includes(a))];
}

export const splitArgs = (text: string): string[] => text.split(/\s+/).filter(Boolean);
