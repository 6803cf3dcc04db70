import { describe, expect, it } from 'vitest';
import { RowSlots, type SlotItem } from '../../renderer/src/features/devices/rowSlots';

/** Lines `from`..`to` of a table where every fifth line is a group. */
function span(from: number, to: number): SlotItem[] {
  const items: SlotItem[] = [];
  for (let index = from; index <= to; index++) items.push({ index, kind: index % 5 === 0 ? 'g' : 'f' });
  return items;
}

function assigned(slots: RowSlots, items: SlotItem[]): Map<number, string> {
  const keys = slots.assign(items);
  return new Map(items.map((item, i) => [item.index, keys[i]!]));
}

describe('RowSlots', () => {
  it('gives every line a distinct key of its own kind', () => {
    const keys = new RowSlots().assign(span(0, 19));
    expect(new Set(keys).size).toBe(20);
    span(0, 19).forEach((item, i) => expect(keys[i]![0]).toBe(item.kind));
  });

  it('keeps the slot of a line that stays in view, and hands the freed slots to the lines that appear', () => {
    const slots = new RowSlots();
    const before = assigned(slots, span(0, 19));
    const after = assigned(slots, span(3, 22));
    for (let i = 3; i <= 19; i++) expect(after.get(i)).toBe(before.get(i));
    // Lines 20-22 reuse the slots of lines 0-2 (one group, two functions): no new key, none dropped.
    expect(new Set(after.values())).toEqual(new Set(before.values()));
    expect(after.get(20)).toBe(before.get(0));
  });

  it('reuses every slot, in order, after a jump of a whole screen', () => {
    const slots = new RowSlots();
    const before = assigned(slots, span(0, 19));
    const after = assigned(slots, span(1000, 1019));
    expect([...after.values()]).toEqual([...before.values()]);
  });

  it('never shares a key between lines, when more lines of one kind come into view than left', () => {
    const slots = new RowSlots();
    slots.assign(span(1, 4));
    const keys = slots.assign([
      { index: 10, kind: 'g' },
      { index: 11, kind: 'g' },
      { index: 12, kind: 'f' },
      { index: 13, kind: 'f' },
      { index: 14, kind: 'f' },
      { index: 15, kind: 'f' },
      { index: 16, kind: 'f' },
    ]);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.filter((k) => k.startsWith('g'))).toHaveLength(2);
  });

  it('gives a line a new slot when its index now holds the other kind of line', () => {
    const slots = new RowSlots();
    const before = assigned(slots, [{ index: 7, kind: 'f' }]);
    const after = assigned(slots, [{ index: 7, kind: 'g' }]);
    expect(after.get(7)).not.toBe(before.get(7));
    expect(after.get(7)![0]).toBe('g');
  });
});
