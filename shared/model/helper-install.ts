/** What the app knows about the installed privileged helper (helper.status, helper.install). */

export type HelperInstallState =
  /** Installed, root-owned, speaks the protocol this app speaks. */
  | 'ok'
  /** Not installed at the system location. */
  | 'missing'
  /** Installed but speaks another protocol version (or does not answer): the app refuses to run it. */
  | 'outdated'
  /** Installed but not root-owned, or writable by someone other than root: the app refuses to run it. */
  | 'unsafe'
  /** A fixture root: the helper runs in-process, nothing to install. */
  | 'not-needed';

export type HelperPackaging = 'appimage' | 'package' | 'source';

export interface HelperInstallStatus {
  state: HelperInstallState;
  /** The protocol version this app speaks. */
  expected: number;
  /** What the installed helper answered to `--protocol` (null: not installed or no answer). */
  installed: number | null;
  /** The launcher pkexec runs (build-resources/helper-install.json). */
  launcher: string;
  /** How this app was installed: the AppImage can install the helper itself, packages did at install time. */
  packaging: HelperPackaging;
  /** True when the app can install (or replace) the helper itself: the AppImage, through pkexec, once. */
  canInstall: boolean;
  /** True when the app can remove a helper it installed (the AppImage). */
  canRemove: boolean;
  /** One or two sentences: what is wrong and how to fix it ('' when ok). */
  message: string;
}
