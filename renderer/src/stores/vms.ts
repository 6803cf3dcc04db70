/**
 * The VMs screen's state: the connection, its domain list, the open domain (its defined XML and the text being
 * edited), saving and undo. The edited text is the user's: a failed save, a vanished domain or switching to
 * another domain never drops it (each domain's draft is kept until it is saved or reverted).
 */
import { createStore, useStore } from 'zustand';
import type { IpcError, PilotApi } from '../../../shared/ipc';
import type { Inventory, PciAddress, VmDefineResult, VmList } from '../../../shared/model';
import { applyEdits, attachGroupEdits } from '../../../shared/domain';
import { DEFAULT_CONNECT_URI, checkConnectUri } from '../../../shared/vms';
import type { ScreenStatus } from './inventory';

export interface OpenDomain {
  connect: string;
  name: string;
  uuid: string;
  /** The XML as libvirt has it defined (`dumpxml --inactive`), what the diff and Revert compare against. */
  saved: string;
}

/** A group the Devices screen asked to add to a VM: applied to the next domain opened (or the open one). */
export interface PendingAttach {
  groupId: number;
  addresses: PciAddress[];
}

/** The last thing that happened to the open domain, for the status line. */
export type VmNotice = { kind: 'saved'; result: VmDefineResult } | { kind: 'undone'; savedAt: string } | null;

export interface VmsState {
  connect: string;
  list: VmList | null;
  listing: boolean;
  listError: IpcError | null;
  open: OpenDomain | null;
  opening: boolean;
  openError: IpcError | null;
  /** The editor's text for the open domain (mirrored on every change). */
  text: string;
  /** Bumped when the store replaces the editor's text (open, save, undo, revert): the editor then reloads it. */
  textVersion: number;
  /** Drafts of domains switched away from, by `connect uuid`. */
  drafts: Record<string, string>;
  saving: boolean;
  saveError: IpcError | null;
  notice: VmNotice;
  /** Kept copies for the open domain (Undo last save is offered when > 0). */
  historyCount: number;
  pendingAttach: PendingAttach | null;
  /** The save diff is open, with this title (Save, or the action that changed the text). */
  diffTitle: string | null;
  /** Why the last editor action (add a group, pin) could not be made. */
  actionError: string | null;

  setConnect(uri: string): string | null;
  refresh(): Promise<void>;
  openDomain(name: string, uuid: string): Promise<void>;
  closeDomain(): void;
  setText(text: string): void;
  /** Replaces the editor's text from outside the editor (an action computed on the whole text). */
  replaceText(text: string): void;
  revert(): void;
  save(): Promise<boolean>;
  undo(): Promise<boolean>;
  requestAttach(attach: PendingAttach): void;
  /** Adds the pending group to the open domain's text and opens the diff (or says why it cannot). */
  applyPendingAttach(inventory: Inventory): void;
  showDiff(title: string | null): void;
  setActionError(message: string | null): void;
}

export type VmsStore = ReturnType<typeof createVmsStore>;

const draftKey = (connect: string, uuid: string) => `${connect} ${uuid}`;

export interface VmsStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}
const CONNECT_KEY = 'vfio-pilot.vms.connect';

export function createVmsStore(getApi: () => PilotApi, storage: VmsStorage | null = null) {
  const remembered = storage?.getItem(CONNECT_KEY) ?? null;
  const initialConnect = remembered !== null && checkConnectUri(remembered) === null ? remembered : DEFAULT_CONNECT_URI;
  let listTicket = 0;
  let openTicket = 0;

  return createStore<VmsState>()((set, get) => {
    /** Reads the open domain's XML and history again after a define or undo; the editor shows libvirt's text. */
    const reload = async (open: OpenDomain): Promise<IpcError | null> => {
      const api = getApi();
      const dumped = await api.dumpVmXml({ connect: open.connect, domain: open.uuid });
      if (!dumped.ok) return dumped.error;
      const history = await api.vmHistory({ connect: open.connect, domain: open.uuid });
      set((s) => ({
        open: { ...open, saved: dumped.value.xml },
        text: dumped.value.xml,
        textVersion: s.textVersion + 1,
        historyCount: history.ok ? history.value.entries.length : s.historyCount,
      }));
      void get().refresh();
      return null;
    };

    return {
      connect: initialConnect,
      list: null,
      listing: false,
      listError: null,
      open: null,
      opening: false,
      openError: null,
      text: '',
      textVersion: 0,
      drafts: {},
      saving: false,
      saveError: null,
      notice: null,
      historyCount: 0,
      pendingAttach: null,
      diffTitle: null,
      actionError: null,

      setConnect(uri) {
        const bad = checkConnectUri(uri);
        if (bad !== null) return bad;
        if (uri === get().connect) return null;
        get().closeDomain();
        storage?.setItem(CONNECT_KEY, uri);
        set({ connect: uri, list: null, listError: null });
        void get().refresh();
        return null;
      },

      async refresh() {
        const ticket = ++listTicket;
        const connect = get().connect;
        set({ listing: true });
        const r = await getApi().listVms({ connect });
        if (ticket !== listTicket) return;
        if (r.ok) set({ list: r.value, listing: false, listError: null });
        else set({ listing: false, listError: r.error, list: null });
      },

      async openDomain(name, uuid) {
        const ticket = ++openTicket;
        const { connect } = get();
        get().closeDomain();
        set({ opening: true, openError: null });
        const api = getApi();
        const [dumped, history] = await Promise.all([api.dumpVmXml({ connect, domain: uuid }), api.vmHistory({ connect, domain: uuid })]);
        if (ticket !== openTicket) return;
        if (!dumped.ok) {
          set({ opening: false, openError: dumped.error });
          return;
        }
        const draft = get().drafts[draftKey(connect, uuid)];
        set((s) => ({
          open: { connect, name, uuid, saved: dumped.value.xml },
          opening: false,
          text: draft ?? dumped.value.xml,
          textVersion: s.textVersion + 1,
          historyCount: history.ok ? history.value.entries.length : 0,
          notice: null,
          saveError: null,
        }));
      },

      closeDomain() {
        const { open, text, drafts } = get();
        if (open) {
          const key = draftKey(open.connect, open.uuid);
          const next = { ...drafts };
          if (text !== open.saved) next[key] = text;
          else delete next[key];
          set({ drafts: next });
        }
        set({ open: null, text: '', openError: null, saveError: null, notice: null, historyCount: 0, diffTitle: null, actionError: null });
      },

      setText(text) {
        if (text !== get().text) set({ text });
      },

      replaceText(text) {
        set((s) => ({ text, textVersion: s.textVersion + 1 }));
      },

      revert() {
        const open = get().open;
        if (!open) return;
        set((s) => ({ text: open.saved, textVersion: s.textVersion + 1, saveError: null }));
      },

      async save() {
        const { open, text } = get();
        if (!open || get().saving) return false;
        set({ saving: true, saveError: null, notice: null });
        const r = await getApi().defineVm({ connect: open.connect, xml: text, expect: open.uuid });
        if (!r.ok) {
          // The text stays in the editor exactly as it was: the user fixes it and saves again.
          set({ saving: false, saveError: r.error });
          return false;
        }
        const drafts = { ...get().drafts };
        delete drafts[draftKey(open.connect, open.uuid)];
        set({ drafts });
        const error = await reload(open);
        set({ saving: false, saveError: error, notice: { kind: 'saved', result: r.value } });
        return true;
      },

      async undo() {
        const open = get().open;
        if (!open || get().saving) return false;
        set({ saving: true, saveError: null, notice: null });
        const r = await getApi().undoVmDefine({ connect: open.connect, domain: open.uuid });
        if (!r.ok) {
          set({ saving: false, saveError: r.error });
          return false;
        }
        const error = await reload(open);
        set({ saving: false, saveError: error, notice: { kind: 'undone', savedAt: r.value.restored.savedAt } });
        return true;
      },

      requestAttach(attach) {
        set({ pendingAttach: attach });
      },

      applyPendingAttach(inventory) {
        const { pendingAttach: attach, open, text } = get();
        if (!attach || !open) return;
        const r = attachGroupEdits(text, inventory, attach.addresses);
        if (!r.ok) {
          set({ pendingAttach: null, actionError: `Adding IOMMU group ${attach.groupId}: ${r.error.message}` });
          return;
        }
        set((s) => ({
          pendingAttach: null,
          actionError: null,
          text: applyEdits(text, r.edits),
          textVersion: s.textVersion + 1,
          diffTitle: `Add IOMMU group ${attach.groupId} to ${open.name}`,
        }));
      },

      showDiff(title) {
        set({ diffTitle: title });
      },

      setActionError(message) {
        set({ actionError: message });
      },
    };
  });
}

export function bindVmsStore(store: VmsStore) {
  return <T>(selector: (s: VmsState) => T): T => useStore(store, selector);
}

/** The VMs rail dot: blocked when libvirt cannot be reached, ok once the list is read. */
export const selectVmsStatus = (s: VmsState): ScreenStatus => (s.listError ? 'blocked' : s.list ? 'ok' : 'unknown');

/** True when the editor holds changes not yet defined. */
export const selectDirty = (s: VmsState): boolean => s.open !== null && s.text !== s.open.saved;
