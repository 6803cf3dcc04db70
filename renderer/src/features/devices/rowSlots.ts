/**
 * Row recycling for the virtualised Devices table. Each rendered line gets a React key naming a row element
 * (a "slot") rather than the line's own id: a line scrolled into view takes over the element of one that left,
 * so React updates a few texts and attributes in place instead of removing and creating whole rows, and the
 * browser restyles and lays out far less. Group and function rows have separate slots (their markup differs).
 */

export interface SlotItem {
  index: number;
  /** Lines of one kind share slots: `g` group rows, `f` function rows. */
  kind: 'g' | 'f';
}

export class RowSlots {
  /** Line index → slot key, as of the last assignment. */
  private byIndex = new Map<number, string>();

  /**
   * Keys for the given lines (in table order): a line that was rendered keeps its slot; the others take the
   * freed slots of their kind in order (a jump of a whole screen reuses every row and moves none), then new ones.
   */
  assign(items: readonly SlotItem[]): string[] {
    const previous = this.byIndex;
    const next = new Map<number, string>();
    const kept = new Set<string>();
    for (const item of items) {
      const key = previous.get(item.index);
      if (key !== undefined && key[0] === item.kind) {
        next.set(item.index, key);
        kept.add(key);
      }
    }
    const free: Record<SlotItem['kind'], string[]> = { g: [], f: [] };
    for (const key of previous.values()) if (!kept.has(key)) free[key[0] as SlotItem['kind']].push(key);
    const taken = new Set(kept);
    const fresh = (kind: SlotItem['kind']) => {
      let n = 0;
      while (taken.has(`${kind}${n}`)) n++;
      return `${kind}${n}`;
    };
    const keys = items.map((item) => {
      let key = next.get(item.index);
      if (key === undefined) {
        key = free[item.kind].shift() ?? fresh(item.kind);
        next.set(item.index, key);
        taken.add(key);
      }
      return key;
    });
    this.byIndex = next;
    return keys;
  }
}
