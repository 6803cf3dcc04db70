/**
 * Where the privileged helper is installed and which protocol it speaks: build-resources/helper-install.json,
 * the one setting shared with install-helper.sh (which writes the polkit policy's exec.path from it). Bundled
 * into the helper (`--protocol`) and into the app (the runner, helper.status) at build time.
 */
import settings from '../../build-resources/helper-install.json';

/** The helper protocol this build speaks: the helper answers `--protocol` with it; the app refuses any other. */
export const HELPER_PROTOCOL: number = settings.protocol;

const under = (rel: string): string => `${settings.prefix}/${rel}`;

/** Installed paths on the system (root-owned, see install-helper.sh). */
export const INSTALLED = {
  /** The launcher pkexec runs; the polkit action's exec.path. */
  launcher: under(settings.launcher),
  bundle: under(settings.bundle),
  policy: under(settings.policy),
} as const;
