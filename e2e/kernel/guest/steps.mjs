// The bench's steps, run by the guest's /init with this machine's node, chrooted into the host root
// (the repo is the working directory; /sys /proc /dev are the guest kernel's). Each step prints
// `KSTEP <name>: PASS|FAIL <detail>`; e2e/kernel/run.sh reads them. Devices are found from the guest's
// own state (boot_vga, the default route, the mount table), never from the scanner under test.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { compareGroups, compareWithLspci, compareWithSysfs, findingsAbout, parseLspciVmm } from './compare.mjs';
import { compareWithHwloc, parseLstopoXml } from './hwloc.mjs';

const RESULTS = '/tmp/kbench'; // the host's e2e/artifacts/kernel/results
const VFIOCHECK = '/run/kbench/vfiocheck'; // copied there from the initramfs by /init
const OVERRIDE_SCRIPT = '/run/kbench/00-vfio-pilot-override'; // the init-top script the initramfs ran (copied by /init)
const INIT_TOP = '/etc/initramfs-tools/scripts/init-top/';
const LOCK = '/run/vfio-pilot/helper.lock'; // electron/helper/core.ts LOCK_REL
const JOURNAL = '/var/lib/vfio-pilot/journal.jsonl';
const PCI = '/sys/bus/pci/devices';
const CLI = 'dist/node/cli.cjs';
const HELPER = 'dist/node/vfio-pilot-helper.cjs';
const SCAN_WORKER = 'dist/node/scan-worker.cjs'; // readHostNow: the app's reader, with its rescan caches
// Set by run.sh when Chromium can drive the app: QEMU forwards the host's 127.0.0.1:PORT to 10.0.2.15:PORT.
const SERVE_PORT = /(?:^|\s)kbench\.serve_port=(\d+)/.exec(fs.readFileSync('/proc/cmdline', 'utf8'))?.[1];

const STEPS = [
  // first: they read the state the guest booted in, then give the GPU back to its host drivers for the rest
  ['boot-override', bootOverride],
  ['boot-override-off', bootOverrideOff],
  ['topology', topology],
  ['scan', scan],
  ['scan-vs-lspci', scanVsLspci],
  ['scan-vs-sysfs', scanVsSysfs],
  ['scan-vs-hwloc', scanVsHwloc],
  ['scan-findings', scanFindings],
  ['readiness', readiness],
  ['bind-group', bindGroup],
  ['restore-group', restoreGroup],
  ['group-incomplete', groupIncomplete],
  ['with-group', withGroup],
  ['rescan', rescan],
  ['all-reasons', allReasons],
  ['journal-restart', journalRestart],
  ['helper-lock', helperLock],
  ['serve-root-refused', serveRootRefused],
  // before the route NIC's guard step: the browser reaches the guest through that NIC
  ...(SERVE_PORT ? [['browser-bind', browserBind]] : []),
  // the boot display moves with its group-mate (--with-group), so the guard is the one reason left
  ['guard-boot-display', (ctx) => guard(ctx, ctx.bootVga, 'GUARD_BOOT_DISPLAY', { group: ctx.bootGroup })],
  ['guard-default-route', (ctx) => guard(ctx, ctx.routeNic, 'GUARD_DEFAULT_ROUTE', { afterRestore: restoreRoute })],
  // last: binding the disk's controller pulls the block device from under its mount
  ['guard-root-disk', (ctx) => guard(ctx, ctx.diskController, 'GUARD_ROOT_DISK')],
];

// KBENCH_STEPS=a,b (run.sh → kbench.steps=) runs only those steps, for working on one of them.
const ONLY = /(?:^|\s)kbench\.steps=(\S+)/.exec(fs.readFileSync('/proc/cmdline', 'utf8'))?.[1]?.split(',');
const PLAN = ONLY ? STEPS.filter(([name]) => ONLY.includes(name)) : STEPS;

class StepFailure extends Error {}
const check = (cond, message) => {
  if (!cond) throw new StepFailure(message);
};

// ---- reading the guest ------------------------------------------------------------------------------------

const readOr = (file, fallback = null) => {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return fallback;
  }
};
const linkName = (file) => {
  try {
    return path.basename(fs.readlinkSync(file));
  } catch {
    return null;
  }
};
const driverOf = (address) => linkName(`${PCI}/${address}/driver`);
const overrideOf = (address) => readOr(`${PCI}/${address}/driver_override`);
const groupOf = (address) => Number(linkName(`${PCI}/${address}/iommu_group`));
/** The functions of an address's IOMMU group, bridges left out (they stay with the host, as the helper does). */
const groupFunctionsOf = (address) =>
  fs.readdirSync(`/sys/kernel/iommu_groups/${groupOf(address)}/devices`).filter((a) => !readOr(`${PCI}/${a}/class`)?.startsWith('0x0604')).sort();
const slotOf = (address) => address.slice(0, address.lastIndexOf('.'));

/** The PCI function a sysfs device sits under (the last `dddd:bb:ss.f` in its resolved path). */
function pciFunctionOf(sysfsPath) {
  const parts = fs.realpathSync(sysfsPath).split('/').filter((p) => /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(p));
  check(parts.length > 0, `${sysfsPath} is not under a PCI function`);
  return parts[parts.length - 1];
}

function defaultRouteInterface() {
  const lines = (readOr('/proc/net/route', '') ?? '').split('\n').slice(1);
  const route = lines.map((l) => l.trim().split(/\s+/)).find((f) => f[1] === '00000000' && f[7] === '00000000');
  return route ? route[0] : null;
}

/** Finds the bench's devices from the guest's own state. */
function discover() {
  const addresses = fs.readdirSync(PCI).sort();
  const vgas = addresses.filter((a) => readOr(`${PCI}/${a}/class`)?.startsWith('0x0300'));
  const bootVga = vgas.find((a) => readOr(`${PCI}/${a}/boot_vga`) === '1');
  const gpu0 = vgas.find((a) => readOr(`${PCI}/${a}/boot_vga`) === '0');
  check(bootVga && gpu0, `expected a boot VGA and a second VGA, found VGAs [${vgas.join(' ')}]`);
  const gpu1 = `${slotOf(gpu0)}.1`;
  const routeIf = defaultRouteInterface();
  check(routeIf, 'no default route in /proc/net/route');
  const routeNic = pciFunctionOf(`/sys/class/net/${routeIf}/device`);
  const mount = (readOr('/proc/self/mounts', '') ?? '').split('\n').map((l) => l.split(' ')).find((f) => f[1] === '/mnt');
  check(mount && mount[0].startsWith('/dev/'), 'no block device mounted on /mnt');
  const diskController = pciFunctionOf(`/sys/class/block/${path.basename(mount[0])}`);
  const spareIf = fs
    .readdirSync('/sys/class/net')
    .find((n) => n !== routeIf && fs.existsSync(`/sys/class/net/${n}/device`));
  check(spareIf, 'no second NIC');
  const spareNic = pciFunctionOf(`/sys/class/net/${spareIf}/device`);
  const bootGroup = groupFunctionsOf(bootVga);
  return { addresses, bootVga, bootGroup, gpu0, gpu1, routeIf, routeNic, disk: mount[0], diskController, spareIf, spareNic };
}

/** Drivers now, for a set of addresses. */
const driversOf = (addresses) => Object.fromEntries(addresses.map((a) => [a, driverOf(a)]));

// ---- running things ---------------------------------------------------------------------------------------

let commandCount = 0;
/** Runs a command, echoes it and its output to the console (the guest log), returns { status, stdout, stderr }. */
function run(file, args, { quiet = false } = {}) {
  const shown = [file === process.execPath ? 'node' : file, ...args].join(' ');
  console.log(`$ ${shown}`);
  const r = spawnSync(file, args, { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
  if (r.error) throw new StepFailure(`${shown}: ${r.error.message}`);
  const out = r.stdout.trimEnd();
  if (!quiet && out) console.log(out);
  if (r.stderr.trim()) console.log(r.stderr.trimEnd().replace(/^/gm, 'stderr: '));
  if (r.status !== 0) console.log(`(exit ${r.status})`);
  commandCount++;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the privileged helper and returns its one JSON line, parsed. */
function helper(...args) {
  return helperAnswer(args, run(process.execPath, [HELPER, ...args]));
}

/** The helper's answer and its exit status, for the steps that hold the status to the documented exit codes. */
function helperWithStatus(...args) {
  const r = run(process.execPath, [HELPER, ...args]);
  return { status: r.status, result: helperAnswer(args, r) };
}

/** The helper started in the background: resolves to { result, status } when it exits. */
function helperInBackground(...args) {
  console.log(`$ node ${HELPER} ${args.join(' ')} &`);
  const child = spawn(process.execPath, [HELPER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => {
      console.log(`(background helper ${args.join(' ')}: exit ${status})`);
      if (stdout.trim()) console.log(stdout.trimEnd());
      if (stderr.trim()) console.log(stderr.trimEnd().replace(/^/gm, 'stderr: '));
      commandCount++;
      try {
        resolve({ status, result: helperAnswer(args, { status, stdout, stderr }) });
      } catch (e) {
        reject(e);
      }
    });
  });
  return { child, done };
}

/** The helper's answer: its one JSON line, saved to the results; its exit status must agree with `ok`. */
function helperAnswer(args, r) {
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  check(line, `helper ${args.join(' ')} printed no JSON line (exit ${r.status}): ${r.stderr.trim().split('\n').pop() ?? ''}`);
  let result;
  try {
    result = JSON.parse(line);
  } catch (e) {
    throw new StepFailure(`helper ${args.join(' ')} printed bad JSON: ${e.message}`);
  }
  save(`helper-${String(commandCount).padStart(2, '0')}-${args.filter((a) => !a.startsWith('--'))[0]}.json`, line + '\n');
  // The exit status must agree with the answer: 0 for ok, non-zero for a refusal.
  check((r.status === 0) === (result.ok === true), `helper ${args.join(' ')}: exit ${r.status} but ok=${result.ok}`);
  return result;
}

const save = (name, text) => fs.writeFileSync(path.join(RESULTS, name), text);

function expectDrivers(addresses, want, when) {
  const now = driversOf(addresses);
  for (const a of addresses) {
    const expected = typeof want === 'string' ? want : want[a];
    check(now[a] === expected, `${when}: ${a} on ${now[a] ?? 'no driver'}, expected ${expected ?? 'no driver'}`);
  }
}

function expectOk(result, what) {
  check(result.ok === true, `${what} failed: ${result.error?.code ?? '?'} ${result.error?.message ?? ''}`);
}

function expectRefused(result, code, what) {
  check(result.ok === false, `${what} was not refused (ok=${result.ok})`);
  check(result.error?.code === code, `${what} refused with ${result.error?.code} (${result.error?.message}), expected ${code}`);
  check(result.changed === false, `${what} refused but reports changed=true`);
}

/** The group's VFIO node exists and is viable: a container, the group and the device fd open. */
function expectViable(group, address) {
  check(fs.existsSync(`/dev/vfio/${group}`), `/dev/vfio/${group} missing`);
  if (!fs.existsSync('/sys/module/vfio_iommu_type1')) {
    // QEMU and libvirt load the type1 backend themselves; busybox-less kmod softdeps may not have.
    run('/sbin/modprobe', ['vfio_iommu_type1']);
  }
  const r = run(VFIOCHECK, [String(group), address]);
  check(r.status === 0, `vfiocheck ${group} ${address} exit ${r.status}: ${r.stdout.trim()}`);
  return r.stdout.trim();
}

/** Restores `addresses` through the helper and checks the drivers they had in `before` are back. */
function restoreAndCheck(addresses, before, extra = []) {
  const result = helper(...extra, 'restore', ...addresses);
  expectOk(result, `restore ${addresses.join(' ')}`);
  expectDrivers(addresses, before, 'after restore');
  for (const a of addresses) {
    const override = readOr(`${PCI}/${a}/driver_override`);
    check(override === '(null)', `after restore: ${a} driver_override=${override}, expected it cleared`);
  }
  return result;
}

// ---- the steps --------------------------------------------------------------------------------------------

/** The plan run.sh made (vfio-pilot plan --json on the kbench-guest fixture) and its one init-top script. */
function bootPlan() {
  let plan;
  try {
    plan = JSON.parse(fs.readFileSync(`${RESULTS}/boot-plan.json`, 'utf8'));
  } catch (e) {
    throw new StepFailure(`no readable boot-plan.json from run.sh: ${e.message}`);
  }
  const scripts = plan.files.filter((f) => f.path.startsWith(INIT_TOP));
  check(scripts.length === 1, `the plan has ${scripts.length} files under ${INIT_TOP}, expected 1`);
  return { plan, script: scripts[0] };
}

/** `kbench: init-top override ...` as /init wrote it to /dev/kmsg: its line number and its bracketed lists. */
function kmsgMark(lines, what) {
  const i = lines.findIndex((l) => l.includes(`kbench: init-top override ${what}`));
  check(i >= 0, `no "kbench: init-top override ${what}" line in dmesg`);
  const list = (name) => (new RegExp(`${name}: \\[([^\\]]*)\\]`).exec(lines[i])?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
  return { i, line: lines[i], loaded: list('modules loaded'), vfio: list('on vfio-pci'), exit: /exit=(\d+)/.exec(lines[i])?.[1] };
}

/**
 * Issue 10: vfio-pilot's identical-ID override, generated by its own plan and put into the initramfs by run.sh,
 * ran in the guest's early boot before any GPU driver was loaded. The GPU is on vfio-pci through driver_override;
 * the boot VGA with the same IDs kept bochs-drm. The kmsg lines /init wrote around the script say what was loaded
 * and bound at each end, and where bochs-drm came after. Then the GPU goes back to its host drivers (helper
 * `unbind`), where the later steps expect it.
 */
function bootOverride(ctx) {
  const pair = [ctx.gpu0, ctx.gpu1];
  const { plan, script } = bootPlan();
  check(plan.method === 'override', `the plan binds by ${plan.method}, expected override (the two VGAs share their IDs)`);
  check(JSON.stringify(plan.selection) === JSON.stringify(pair), `the plan selects [${plan.selection.join(' ')}], the guest's GPU is [${pair.join(' ')}]`);
  check(fs.readFileSync(OVERRIDE_SCRIPT, 'utf8') === script.content, `${OVERRIDE_SCRIPT} (from the initramfs) is not the plan's ${script.path}`);
  check(!script.content.includes(ctx.bootVga), `the script names the boot display ${ctx.bootVga}`);

  // Where the boot left everything.
  expectDrivers(pair, 'vfio-pci', 'at boot');
  for (const a of pair) check(overrideOf(a) === 'vfio-pci', `at boot: ${a} driver_override=${overrideOf(a)}, expected vfio-pci`);
  check(driverOf(ctx.bootVga) === 'bochs-drm', `at boot: the boot VGA ${ctx.bootVga} is on ${driverOf(ctx.bootVga) ?? 'no driver'}, expected bochs-drm`);
  check(overrideOf(ctx.bootVga) === '(null)', `at boot: the boot VGA's driver_override=${overrideOf(ctx.bootVga)}`);

  // The order, from the kernel's log: no GPU driver before the script; vfio-pci had the pair when it ended;
  // bochs-drm only after it, and never on the GPU.
  const dmesg = run('/bin/dmesg', [], { quiet: true });
  check(dmesg.status === 0, `dmesg exit ${dmesg.status}`);
  save('boot-dmesg.txt', dmesg.stdout);
  const lines = dmesg.stdout.split('\n');
  const start = kmsgMark(lines, 'start');
  const end = kmsgMark(lines, 'exit');
  check(start.i < end.i, 'the script ended before it started?');
  check(start.loaded.length === 0, `modules loaded before the script: [${start.loaded.join(' ')}], expected none of bochs snd_hda_intel vfio_pci`);
  check(end.exit === '0', `the script exited ${end.exit}: ${end.line}`);
  check(JSON.stringify(end.loaded) === JSON.stringify(['vfio_pci']), `loaded when the script ended: [${end.loaded.join(' ')}], expected vfio_pci alone`);
  check(JSON.stringify(end.vfio) === JSON.stringify(pair), `on vfio-pci when the script ended: [${end.vfio.join(' ')}], expected ${pair.join(' ')}`);
  const bochs = lines.findIndex((l) => /\bbochs-drm\b/.test(l) && !l.includes('kbench:'));
  check(bochs > end.i, bochs < 0 ? 'bochs-drm logged nothing' : `bochs-drm logged before the script ended: ${lines[bochs]}`);
  const onGpu = lines.find((l) => /\bbochs-drm\b/.test(l) && l.includes(ctx.gpu0));
  check(!onGpu, `bochs-drm touched the GPU: ${onGpu}`);
  const stamp = (line) => /^\[\s*([\d.]+)\]/.exec(line)?.[1] ?? '?';
  // The kernel's own word, where it logs one (vgaarb does for a VGA function): vfio-pci had the GPU that early.
  const vfioLine = lines.findIndex((l) => l.startsWith('[') && l.includes(`vfio-pci ${ctx.gpu0}:`));
  const kernelSaid = vfioLine > start.i && vfioLine < end.i ? `, the kernel logged vfio-pci ${ctx.gpu0} at ${stamp(lines[vfioLine])}s` : '';

  handBack(ctx);
  return `${script.path} from the plan ran at ${stamp(start.line)}s with no GPU driver loaded, left ${pair.join(' ')} on vfio-pci (driver_override${kernelSaid}); bochs-drm first logged at ${stamp(lines[bochs])}s and kept the boot VGA ${ctx.bootVga}; handed back: ${pair.map(driverOf).join(', ')}`;
}

/** The GPU from its boot-time vfio-pci back to the kernel's pick (the helper's `unbind` clears driver_override). */
function handBack(ctx) {
  const pair = [ctx.gpu0, ctx.gpu1];
  expectOk(helper('unbind', ...pair), `unbind ${pair.join(' ')}`);
  const want = { [ctx.gpu0]: driverOf(ctx.bootVga), [ctx.gpu1]: 'snd_hda_intel' }; // the boot VGA's driver: same IDs
  expectDrivers(pair, want, 'after unbind');
  for (const a of pair) check(overrideOf(a) === '(null)', `after unbind: ${a} driver_override=${overrideOf(a)}`);
}

/**
 * The escape hatch: with `vfio-pilot.off` on the kernel command line the same script writes nothing. The guest
 * cannot reboot cheaply, so the script runs again in a private mount namespace whose /proc/cmdline has the word
 * added; then, as the control, on the real command line, where it writes driver_override (cleared afterwards).
 */
function bootOverrideOff(ctx) {
  const pair = [ctx.gpu0, ctx.gpu1];
  const cmdline = readOr('/proc/cmdline', '');
  check(!/(^|\s)vfio-pilot\.off(\s|$)/.test(cmdline), 'the guest booted with vfio-pilot.off: the boot step proved nothing');
  const before = driversOf(pair);
  for (const a of pair) check(before[a] !== 'vfio-pci' && overrideOf(a) === '(null)', `${a} is not back on its host driver (${before[a]}, driver_override=${overrideOf(a)})`);

  const offCmdline = '/run/kbench/cmdline-off';
  fs.writeFileSync(offCmdline, `${cmdline} vfio-pilot.off\n`);
  const inNamespace = 'mount --bind "$1" /proc/cmdline && grep -qw vfio-pilot.off /proc/cmdline || exit 99; exec /bin/sh "$2"';
  const off = run('/usr/bin/unshare', ['--mount', '/bin/sh', '-c', inNamespace, 'sh', offCmdline, OVERRIDE_SCRIPT]);
  check(off.status !== 99, 'could not put vfio-pilot.off on /proc/cmdline in a private mount namespace');
  check(off.status === 0, `the script with vfio-pilot.off exited ${off.status}`);
  check(readOr('/proc/cmdline', '') === cmdline, 'the changed /proc/cmdline leaked out of the namespace');
  expectDrivers(pair, before, 'after the script with vfio-pilot.off');
  for (const a of pair) check(overrideOf(a) === '(null)', `with vfio-pilot.off the script wrote driver_override=${overrideOf(a)} for ${a}`);

  const on = run('/bin/sh', [OVERRIDE_SCRIPT]);
  check(on.status === 0, `the script on the real command line exited ${on.status}`);
  for (const a of pair) check(overrideOf(a) === 'vfio-pci', `control: without vfio-pilot.off the script left ${a} driver_override=${overrideOf(a)}`);
  expectDrivers(pair, before, 'control (driver_override applies at the next probe)');
  handBack(ctx);
  return `with vfio-pilot.off: exit 0, nothing written (${pair.map((a) => `${a} ${driverOf(a)}`).join(', ')}); without it the same script wrote driver_override=vfio-pci to both; cleared by helper unbind`;
}

function topology(ctx) {
  const nodes = fs.readdirSync('/sys/devices/system/node').filter((n) => /^node\d+$/.test(n));
  check(nodes.length === 2, `expected 2 NUMA nodes, found ${nodes.join(' ')}`);
  const groups = fs.readdirSync('/sys/kernel/iommu_groups');
  check(groups.length > 0, 'no IOMMU groups: the emulated IOMMU is not on');
  check(readOr(`${PCI}/${ctx.gpu0}/numa_node`) === '1', `GPU ${ctx.gpu0} numa_node=${readOr(`${PCI}/${ctx.gpu0}/numa_node`)}, expected 1`);
  check(groupOf(ctx.gpu0) === groupOf(ctx.gpu1), `GPU functions in groups ${groupOf(ctx.gpu0)} and ${groupOf(ctx.gpu1)}`);
  const ids = (a) => `${readOr(`${PCI}/${a}/vendor`)}:${readOr(`${PCI}/${a}/device`)}`;
  check(ids(ctx.bootVga) === ids(ctx.gpu0), `boot VGA ${ids(ctx.bootVga)} and GPU ${ids(ctx.gpu0)} differ`);
  check(ctx.bootGroup.length > 1, `the boot VGA is alone in IOMMU group ${groupOf(ctx.bootVga)}: its edu group-mate is missing`);
  ctx.original = driversOf(ctx.addresses);
  save('devices.json', JSON.stringify({ ...ctx, kernel: readOr('/proc/sys/kernel/osrelease') }, null, 2));
  return `${nodes.length} nodes, ${groups.length} groups; boot VGA ${ctx.bootVga} group ${groupOf(ctx.bootVga)} [${ctx.bootGroup.join(' ')}], GPU ${ctx.gpu0}+.1 group ${groupOf(ctx.gpu0)}, route ${ctx.routeIf}=${ctx.routeNic}, disk ${ctx.disk}=${ctx.diskController}, spare ${ctx.spareIf}=${ctx.spareNic}`;
}

function scan(ctx) {
  const r = run(process.execPath, [CLI, 'scan', '--json'], { quiet: true });
  save('scan.json', r.stdout);
  check(r.status === 0, `scan --json exit ${r.status}`);
  try {
    ctx.inventory = JSON.parse(r.stdout);
  } catch (e) {
    throw new StepFailure(`scan --json printed bad JSON: ${e.message}`);
  }
  for (const key of ['host', 'devices', 'groups', 'findings', 'numa']) check(key in ctx.inventory, `scan JSON has no "${key}"`);
  return `${ctx.inventory.devices.length} devices, ${ctx.inventory.groups.length} groups, ${ctx.inventory.findings.length} findings`;
}

/**
 * `check --json` against the real kernel: IOMMU on, interrupt remapping on, vfio available. Each verdict is held
 * against the guest's own state: its IOMMU groups and units, `IR-` chips in /proc/interrupts, and vfio-pci in
 * modules.dep (or loaded) for the running release.
 */
function readiness(ctx) {
  const r = run(process.execPath, [CLI, 'check', '--json'], { quiet: true });
  save('check.json', r.stdout);
  check(r.status === 0 || r.status === 1, `check --json exit ${r.status}`);
  let report;
  try {
    report = JSON.parse(r.stdout);
  } catch (e) {
    throw new StepFailure(`check --json printed bad JSON: ${e.message}`);
  }
  const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
  check(r.status === (report.checks.some((c) => c.status === 'fail') ? 1 : 0), `exit ${r.status} disagrees with the statuses`);
  const release = readOr('/proc/sys/kernel/osrelease');
  const groups = fs.readdirSync('/sys/kernel/iommu_groups').length;
  const units = fs.existsSync('/sys/class/iommu') ? fs.readdirSync('/sys/class/iommu') : [];
  const remapped = /\bIR-/.test(readOr('/proc/interrupts', '') ?? '');
  const dep = readOr(`/lib/modules/${release}/modules.dep`, '') ?? '';
  const vfioThere = fs.existsSync('/sys/module/vfio_pci') || /(^|\/)vfio-pci\.ko(\.\w+)?:/m.test(dep);
  const want = [
    ['iommu-kernel', groups > 0, `${groups} groups in /sys/kernel/iommu_groups`],
    ['iommu-firmware', units.length > 0, `units ${units.join(' ')}`],
    ['interrupt-remapping', remapped, 'IR- chips in /proc/interrupts'],
    ['vfio-modules', vfioThere, `vfio-pci for ${release}`],
  ];
  for (const [id, truth, what] of want) {
    check(truth, `the guest itself lacks ${id} (${what}): the bench machine is not what the README says`);
    check(byId[id]?.status === 'ok', `${id}: ${byId[id]?.status ?? 'missing'} (${byId[id]?.verdict}), but the guest has ${what}`);
  }
  const vgas = ctx.addresses.filter((a) => readOr(`${PCI}/${a}/class`)?.startsWith('0x03'));
  const gpuRows = report.checks.filter((c) => c.id.startsWith('gpu:')).map((c) => c.id.slice(4)).sort();
  check(JSON.stringify(gpuRows) === JSON.stringify(vgas), `GPU rows ${gpuRows.join(' ')} but display functions ${vgas.join(' ')}`);
  check(byId[`gpu:${ctx.bootVga}`]?.verdict.includes('boot display'), `gpu:${ctx.bootVga} does not say boot display`);
  const counts = ['ok', 'warn', 'fail', 'unknown'].map((s) => `${report.checks.filter((c) => c.status === s).length} ${s}`).join(', ');
  return `${report.checks.length} checks (${counts}); IOMMU on (${groups} groups, ${units.join(' ')}), interrupt remapping on, vfio-pci for ${release}`;
}

function needInventory(ctx) {
  check(ctx.inventory, 'no scan result (the scan step failed)');
  return ctx.inventory;
}

function scanVsLspci(ctx) {
  const inv = needInventory(ctx);
  const r = run('/usr/bin/lspci', ['-vmm', '-nn', '-D', '-k'], { quiet: true });
  save('lspci-vmm.txt', r.stdout);
  check(r.status === 0, `lspci exit ${r.status}`);
  const records = parseLspciVmm(r.stdout);
  check(records.length === ctx.addresses.length, `lspci listed ${records.length} functions, sysfs has ${ctx.addresses.length}`);
  const problems = compareWithLspci(inv.devices, records);
  problems.forEach((p) => console.log(`mismatch: ${p}`));
  check(problems.length === 0, `${problems.length} mismatches, first: ${problems[0]}`);
  return `${records.length} functions agree on IDs, class, revision, subsystem, driver, IOMMU group, NUMA node`;
}

function scanVsSysfs(ctx) {
  const inv = needInventory(ctx);
  const sysfs = new Map(
    ctx.addresses.map((a) => [a, { bootVga: readOr(`${PCI}/${a}/boot_vga`), resetMethod: readOr(`${PCI}/${a}/reset_method`) }]),
  );
  const kernelGroups = new Map(
    fs.readdirSync('/sys/kernel/iommu_groups').map((g) => [Number(g), fs.readdirSync(`/sys/kernel/iommu_groups/${g}/devices`).sort()]),
  );
  save('sysfs.json', JSON.stringify({ devices: Object.fromEntries(sysfs), groups: Object.fromEntries(kernelGroups) }, null, 2) + '\n');
  const [major, minor] = (readOr('/proc/sys/kernel/osrelease') ?? '0.0').split('.').map(Number);
  const kernelHasResetMethod = major > 5 || (major === 5 && minor >= 15);
  const problems = [...compareWithSysfs(inv.devices, sysfs, kernelHasResetMethod), ...compareGroups(inv.groups, kernelGroups)];
  // NUMA: the scan's nodes, their CPUs and the functions on each.
  for (const n of fs.readdirSync('/sys/devices/system/node').filter((x) => /^node\d+$/.test(x))) {
    const id = Number(n.slice(4));
    const node = inv.numa.find((x) => x.id === id);
    if (!node) {
      problems.push(`NUMA node ${id} missing from the scan`);
      continue;
    }
    const cpulist = readOr(`/sys/devices/system/node/${n}/cpulist`);
    if (node.cpuList !== cpulist) problems.push(`node ${id}: cpuList scan=${node.cpuList} sysfs=${cpulist}`);
    const want = ctx.addresses.filter((a) => readOr(`${PCI}/${a}/numa_node`) === String(id));
    if ([...node.devices].sort().join(' ') !== want.join(' ')) problems.push(`node ${id}: devices scan=[${node.devices.join(' ')}] sysfs=[${want.join(' ')}]`);
  }
  if (inv.numa.length !== 2) problems.push(`scan has ${inv.numa.length} NUMA nodes, expected 2`);
  const gpu = inv.devices.find((d) => d.address === ctx.gpu0);
  if (gpu?.numaNode !== 1) problems.push(`GPU ${ctx.gpu0} numaNode=${gpu?.numaNode}, expected 1 (behind the expander)`);
  problems.forEach((p) => console.log(`mismatch: ${p}`));
  check(problems.length === 0, `${problems.length} mismatches, first: ${problems[0]}`);
  const resets = inv.devices.filter((d) => d.resetMethods).length;
  return `boot_vga, reset_method (${resets} functions), ${kernelGroups.size} IOMMU groups and 2 NUMA nodes agree`;
}

// The guest's CPUs as sh reads them from its own sysfs: "id core package siblings llc-cpus node" per online CPU,
// the LLC being the data/unified cache/indexN with the highest level. Independent of the scanner's code.
const CPU_SH = `cd /sys/devices/system/cpu || exit 1
for d in cpu[0-9]*; do
  [ -d "$d/topology" ] || continue
  best=; lvl=0
  for i in "$d"/cache/index*; do
    [ -r "$i/level" ] || continue
    [ "$(cat "$i/type")" = Instruction ] && continue
    l=$(cat "$i/level"); if [ "$l" -gt "$lvl" ]; then lvl=$l; best=$i; fi
  done
  llc=-; [ -n "$best" ] && llc=$(cat "$best/shared_cpu_list")
  node=-; for n in "$d"/node[0-9]*; do [ -e "$n" ] && node=\${n##*/node}; done
  echo "\${d#cpu} $(cat "$d/topology/core_id") $(cat "$d/topology/physical_package_id") $(cat "$d/topology/thread_siblings_list") $llc $node"
done`;

const cpuList = (text) =>
  text.split(',').flatMap((part) => {
    const [a, b = a] = part.split('-').map(Number);
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });

/**
 * `scan --json`'s cpus against the real kernel: against hwloc's lstopo (on the host root the guest runs in;
 * x86 CPUID discovery off, so hwloc too reads this kernel's sysfs) and against the same sysfs read by sh. Without
 * lstopo on the host root, sh alone, and the step says so.
 */
function scanVsHwloc(ctx) {
  const inv = needInventory(ctx);
  check(Array.isArray(inv.cpus) && inv.cpus.length > 0, 'scan JSON has no cpus');
  const problems = [];
  const sh = run('/bin/sh', ['-c', CPU_SH], { quiet: true });
  save('cpus-sh.txt', sh.stdout);
  check(sh.status === 0, `the sysfs read by sh exited ${sh.status}`);
  const fromSh = sh.stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [id, core, pkg, siblings, llc, node] = line.split(' ');
      return { id: Number(id), core: Number(core), package: Number(pkg), node: node === '-' ? null : Number(node), siblings: cpuList(siblings), llc: llc === '-' ? null : Math.min(...cpuList(llc)) };
    })
    .sort((a, b) => a.id - b.id);
  if (JSON.stringify(fromSh) !== JSON.stringify(inv.cpus)) problems.push(`cpus scan=${JSON.stringify(inv.cpus)} sh=${JSON.stringify(fromSh)}`);

  const lstopo = ['/usr/bin/lstopo-no-graphics', '/usr/local/bin/lstopo-no-graphics'].find((f) => fs.existsSync(f));
  let oracle = 'sysfs read by sh (lstopo-no-graphics is not on the host root: apt-get install hwloc)';
  if (lstopo) {
    console.log(`$ HWLOC_COMPONENTS=-x86 ${lstopo} --of xml --whole-io`);
    const r = spawnSync(lstopo, ['--of', 'xml', '--whole-io'], { encoding: 'utf8', env: { ...process.env, HWLOC_COMPONENTS: '-x86' }, timeout: 120_000, maxBuffer: 64 << 20 });
    save('lstopo.xml', r.stdout ?? '');
    check(r.status === 0, `lstopo exit ${r.status}: ${(r.stderr ?? r.error?.message ?? '').trim().split('\n').pop()}`);
    problems.push(...compareWithHwloc(inv, parseLstopoXml(r.stdout)));
    oracle = 'hwloc and the sysfs read by sh';
  }
  problems.forEach((p) => console.log(`mismatch: ${p}`));
  check(problems.length === 0, `${problems.length} mismatches, first: ${problems[0]}`);
  const llcs = new Set(inv.cpus.map((c) => c.llc)).size;
  return `${inv.cpus.length} CPUs (core, package, siblings, ${llcs} LLC group(s), node), ${inv.numa.length} nodes and PCI nodes agree with ${oracle}`;
}

function scanFindings(ctx) {
  const { findings } = needInventory(ctx);
  findings.forEach((f) => console.log(`finding ${f.code} ${f.severity} ${f.subject}: ${f.message}`));
  check(findingsAbout(findings, 'BOOT_VGA', ctx.bootVga).length > 0, `no BOOT_VGA finding on the boot display ${ctx.bootVga}`);
  const onGpu = findings.filter((f) => f.code === 'BOOT_VGA' && f.subject === ctx.gpu0);
  check(onGpu.length === 0, `BOOT_VGA reported on ${ctx.gpu0}, which is not the boot display`);
  for (const a of [ctx.bootVga, ctx.gpu0]) {
    check(findingsAbout(findings, 'IDENTICAL_IDS', a).length > 0, `no IDENTICAL_IDS finding naming ${a}`);
  }
  return `BOOT_VGA on ${ctx.bootVga}, IDENTICAL_IDS naming ${ctx.bootVga} and ${ctx.gpu0}`;
}

function bindGroup(ctx) {
  const pair = [ctx.gpu0, ctx.gpu1];
  const result = helper('bind-vfio', ...pair);
  expectOk(result, 'bind-vfio of the GPU group');
  check(result.changed === true, 'bind-vfio reports changed=false');
  for (const a of pair) {
    const d = result.devices?.find((x) => x.address === a);
    check(d, `helper answer lists no ${a}`);
    check(d.before === ctx.original[a] && d.after === 'vfio-pci', `helper says ${a}: ${d.before} -> ${d.after}`);
  }
  expectDrivers(pair, 'vfio-pci', 'after bind');
  const group = groupOf(ctx.gpu0);
  return `${pair.join(' ')} on vfio-pci; ${expectViable(group, ctx.gpu0)}`;
}

function restoreGroup(ctx) {
  const pair = [ctx.gpu0, ctx.gpu1];
  check(driverOf(ctx.gpu0) === 'vfio-pci', 'the GPU is not bound (bind-group failed)');
  restoreAndCheck(pair, ctx.original);
  const group = groupOf(ctx.gpu0);
  check(!fs.existsSync(`/dev/vfio/${group}`), `/dev/vfio/${group} still present after restore`);
  return `${ctx.gpu0} -> ${driverOf(ctx.gpu0)}, ${ctx.gpu1} -> ${driverOf(ctx.gpu1)}, /dev/vfio/${group} gone`;
}

function groupIncomplete(ctx) {
  const result = helper('bind-vfio', ctx.gpu0);
  expectRefused(result, 'GROUP_INCOMPLETE', `bind-vfio ${ctx.gpu0} alone`);
  expectDrivers([ctx.gpu0, ctx.gpu1], ctx.original, 'after the refusal');
  return `refused: ${result.error.message}`;
}

/**
 * The app's rescan (issue 11) on the real kernel: one long-lived reader, as the app keeps, scans; the helper binds
 * the GPU group and then restores it; after each, the warm rescan (drivers from sys/bus/pci/drivers listings,
 * static facts kept) must equal a full read (`reread`) and show the new drivers. Prints the rescan's time here.
 */
function rescan(ctx) {
  const { readHostNow } = createRequire(import.meta.url)(path.resolve(SCAN_WORKER));
  const pair = [ctx.gpu0, ctx.gpu1];
  const read = (reread) => readHostNow({ kind: 'scan', root: '/', reread });
  const driversIn = (inv) => Object.fromEntries(pair.map((a) => [a, inv.devices.find((d) => d.address === a)?.driver ?? null]));
  const sameAsFull = (warm, when) => {
    const full = read(true);
    check(JSON.stringify(warm.devices) === JSON.stringify(full.devices), `${when}: the rescan's devices differ from a full read`);
    check(JSON.stringify(warm.findings) === JSON.stringify(full.findings), `${when}: the rescan's findings differ from a full read`);
  };
  const original = driversOf(pair);
  read(false);
  read(false);
  expectOk(helper('bind-vfio', ...pair), 'bind-vfio of the GPU group');
  const t0 = process.hrtime.bigint();
  const bound = read(false);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  check(pair.every((a) => driversIn(bound)[a] === 'vfio-pci'), `after bind the rescan says ${JSON.stringify(driversIn(bound))}`);
  sameAsFull(bound, 'after bind');
  restoreAndCheck(pair, original);
  const restored = read(false);
  check(pair.every((a) => driversIn(restored)[a] === original[a]), `after restore the rescan says ${JSON.stringify(driversIn(restored))}`);
  sameAsFull(restored, 'after restore');
  return `rescans after bind and restore equal full reads (${bound.devices.length} functions; the rescan after bind took ${ms.toFixed(1)} ms)`;
}

function withGroup(ctx) {
  const pair = [ctx.gpu0, ctx.gpu1];
  const result = helper('--with-group', 'bind-vfio', ctx.gpu0);
  expectOk(result, `bind-vfio --with-group ${ctx.gpu0}`);
  expectDrivers(pair, 'vfio-pci', 'after bind --with-group');
  const viable = expectViable(groupOf(ctx.gpu0), ctx.gpu0);
  restoreAndCheck(pair, ctx.original);
  return `both functions bound, ${viable}; restored`;
}

/**
 * Issue 12 item 3 on a real kernel: every reason in one answer. The boot display alone (no --with-group; its
 * group-mate left out) is refused for its incomplete group AND as the boot display, by the helper and by
 * `vfio-pilot bind` alike; then one request that breaks every rule at once. Nothing moves, the journal is untouched.
 */
function allReasons(ctx) {
  const mates = ctx.bootGroup.filter((a) => a !== ctx.bootVga);
  check(mates.length > 0, `the boot display ${ctx.bootVga} is alone in its IOMMU group: the machine is not what the README says`);
  const watched = [...ctx.bootGroup, ctx.routeNic, ctx.diskController];
  const overrides = () => watched.map((a) => `${a}=${overrideOf(a)}`).join(' ');
  const journal = readOr(JOURNAL, '');
  const overridesBefore = overrides();
  const untouched = (when) => {
    expectDrivers(watched, ctx.original, when);
    check(overrides() === overridesBefore, `${when}: driver_override changed: ${overrides()}`);
    check(readOr(JOURNAL, '') === journal, `${when}: the journal changed`);
  };
  const expectReasons = ({ status, result }, want, what) => {
    check(result.ok === false && result.changed === false, `${what}: ok=${result.ok} changed=${result.changed}, expected a refusal`);
    check(status === 1, `${what}: exit ${status}, expected 1 (refused)`);
    // (one reason per code and function; the set also keeps two functions under one guard as one code)
    const got = [...new Set((result.reasons ?? []).map((r) => r.code))];
    for (const code of want) check(got.includes(code), `${what}: reasons [${got.join(' ')}] lack ${code}`);
    check(got.length === want.length, `${what}: reasons [${got.join(' ')}], expected exactly [${want.join(' ')}]`);
    check(/^\d+ reasons: \(1\) /.test(result.error?.message ?? ''), `${what}: the message does not number its reasons: ${result.error?.message}`);
    for (const r of result.reasons) check(result.error.message.includes(r.message), `${what}: the message leaves out "${r.message}"`);
    return got;
  };

  const alone = helperWithStatus('bind-vfio', ctx.bootVga);
  expectReasons(alone, ['GROUP_INCOMPLETE', 'GUARD_BOOT_DISPLAY'], `bind-vfio ${ctx.bootVga}`);
  check(mates.every((a) => alone.result.error.message.includes(a)), `the message does not name the group-mate(s) ${mates.join(' ')}: ${alone.result.error.message}`);
  untouched('after the helper refused');

  // The terminal: `vfio-pilot bind` as root on / (the helper's core in-process) prints each reason on a line.
  const cli = run(process.execPath, [CLI, 'bind', ctx.bootVga]);
  check(cli.status === 1, `vfio-pilot bind ${ctx.bootVga}: exit ${cli.status}, expected 1`);
  for (const code of ['GROUP_INCOMPLETE', 'GUARD_BOOT_DISPLAY']) check(new RegExp(`^  ${code}  `, 'm').test(cli.stderr), `vfio-pilot bind prints no "${code}" line`);
  untouched('after vfio-pilot bind refused');

  // Everything at once: a malformed address, a missing function, the incomplete group and all three guards.
  const missing = ['0000:7f:00.0', '0000:7e:00.0'].find((a) => !ctx.addresses.includes(a));
  const every = helperWithStatus('bind-vfio', '0000:00:1f.9', missing, ctx.bootVga, ctx.routeNic, ctx.diskController);
  const codes = expectReasons(every, ['INVALID_ADDRESS', 'NOT_FOUND', 'GROUP_INCOMPLETE', 'GUARD_BOOT_DISPLAY', 'GUARD_DEFAULT_ROUTE', 'GUARD_ROOT_DISK'], 'the request breaking every rule');
  untouched('after the request breaking every rule');
  return `${ctx.bootVga} alone: [${[...new Set(alone.result.reasons.map((r) => r.code))].join(' ')}] in one answer (helper exit 1, vfio-pilot bind too); every rule broken at once: [${codes.join(' ')}]; nothing moved, journal untouched`;
}

/**
 * Issue 12 item 7 on a real kernel: one helper run at a time across processes. While another process holds the
 * helper's lock (flock(1) on /run/vfio-pilot/helper.lock, as a running helper does), a helper's bind waits, then
 * answers LOCKED (exit 5) having written nothing: no sysfs write, no journal line. One started while the lock is
 * still held waits for it (its flock shows as a waiter in /proc/locks) and binds once the lock is released.
 */
async function helperLock(ctx) {
  const nic = ctx.spareNic;
  fs.mkdirSync(path.dirname(LOCK), { recursive: true, mode: 0o755 });
  console.log(`$ flock ${LOCK} sh -c 'echo held; exec sleep 300' &`);
  // its own process group: flock(1) and the sleep that inherits the locked descriptor end together
  const holder = spawn('/usr/bin/flock', ['--exclusive', LOCK, '/bin/sh', '-c', 'echo held; exec sleep 300'], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  const release = () => {
    try {
      process.kill(-holder.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  try {
    check((await firstLine(holder, 60, 'flock')) === 'held', 'flock did not take the lock');
    const journal = readOr(JOURNAL, '');
    const override = overrideOf(nic);
    const t0 = process.hrtime.bigint();
    const { status, result: locked } = helperWithStatus('bind-vfio', nic);
    const waited = Number(process.hrtime.bigint() - t0) / 1e9;
    expectRefused(locked, 'LOCKED', `bind-vfio ${nic} while the lock is held`);
    check(status === 5, `LOCKED with exit ${status}, expected 5 (the environment)`);
    expectDrivers([nic], ctx.original, 'after LOCKED');
    check(overrideOf(nic) === override, `after LOCKED: driver_override=${overrideOf(nic)}, was ${override}`);
    check(readOr(JOURNAL, '') === journal, 'after LOCKED: the journal changed');

    const waiting = helperInBackground('bind-vfio', nic);
    let seen = false;
    for (let i = 0; i < 36 && !seen; i++) {
      await sleep(250);
      seen = /->\s+FLOCK/.test(readOr('/proc/locks', '') ?? '');
    }
    check(seen, 'the second helper never queued on the lock (no "-> FLOCK" waiter in /proc/locks)');
    expectDrivers([nic], ctx.original, 'while the second helper waits');
    console.log(`$ kill -KILL -${holder.pid}  (releases the lock)`);
    release();
    const { status: boundStatus, result: bound } = await waiting.done;
    expectOk(bound, `bind-vfio ${nic} after the lock was released`);
    check(boundStatus === 0, `exit ${boundStatus}`);
    expectDrivers([nic], 'vfio-pci', 'after the lock was released');
    restoreAndCheck([nic], ctx.original);
    return `held by flock: LOCKED after ${waited.toFixed(1)}s (exit 5), nothing written; a helper queued on the lock bound ${nic} once it was released; restored to ${driverOf(nic)}`;
  } finally {
    release();
  }
}

/** Issue 12 item 1 on a real kernel: `serve` as root on the real host, with no sudo user to drop to, refuses. */
function serveRootRefused() {
  const r = run(process.execPath, [CLI, 'serve', '--port', '0']);
  check(r.status === 2, `serve as root on / must refuse with exit 2, got ${r.status}`);
  const why = r.stderr.trim().split('\n')[0] ?? '';
  check(/refus/i.test(why), `serve's refusal must say why: ${r.stderr.trim()}`);
  return `exit 2: ${why}`;
}

function journalRestart(ctx) {
  const nic = ctx.spareNic;
  const bound = helper('bind-vfio', nic);
  expectOk(bound, `bind-vfio ${nic}`);
  expectDrivers([nic], 'vfio-pci', 'after bind');
  const journal = readOr(JOURNAL, '');
  check(journal.includes(nic), `${JOURNAL} does not mention ${nic} after the bind`);
  save('journal-after-bind.jsonl', journal + '\n');
  // A second helper process, with nothing but the journal to know the original driver.
  restoreAndCheck([nic], ctx.original);
  save('journal-after-restore.jsonl', readOr(JOURNAL, '') + '\n');
  return `${nic}: ${ctx.original[nic]} -> vfio-pci -> ${driverOf(nic)} across two helper runs (${journal.split('\n').length} journal lines)`;
}

/**
 * A guarded device: refused with `code` (its only reason) and untouched, bound with --force, restored. `group`:
 * the functions that move with it (its IOMMU group; then --with-group is passed).
 */
function guard(ctx, address, code, { group = [address], afterRestore } = {}) {
  const withGroup = group.length > 1 ? ['--with-group'] : [];
  const refused = helper(...withGroup, 'bind-vfio', address);
  expectRefused(refused, code, `bind-vfio ${withGroup.join(' ')} ${address}`);
  const codes = [...new Set((refused.reasons ?? []).map((r) => r.code))];
  check(codes.length === 1, `refused for [${codes.join(' ')}], expected ${code} alone`);
  expectDrivers(group, ctx.original, 'after the refusal');
  const forced = helper('--force', ...withGroup, 'bind-vfio', address);
  expectOk(forced, `--force bind-vfio ${address}`);
  expectDrivers(group, 'vfio-pci', 'after --force');
  restoreAndCheck(group, ctx.original);
  const extra = afterRestore ? afterRestore(ctx) : '';
  return `refused (${refused.error.message}); ${['--force', ...withGroup].join(' ')} bound ${group.join(' ')}; restored to ${group.map(driverOf).map((d) => d ?? 'no driver').join(', ')}${extra}`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` until true; fails early when the host's browser test has already ended. */
async function waitFor(cond, seconds, what) {
  for (let i = 0; i < seconds * 4; i++) {
    if (cond()) return;
    const exit = readOr(`${RESULTS}/browser-exit`);
    if (exit !== null) throw new StepFailure(`the browser test ended (exit ${exit}) before ${what}; see e2e/artifacts/kernel/browser.log`);
    await sleep(250);
  }
  throw new StepFailure(`${what}: not within ${seconds}s`);
}

/** The first stdout line of a child process (serve prints its URL and token there). */
function firstLine(child, seconds, what = 'serve') {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new StepFailure(`${what} printed nothing within ${seconds}s`)), seconds * 1000);
    child.stdout.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(buf.slice(0, nl).trim());
      }
    });
    child.on('exit', (code) => reject(new StepFailure(`${what} exited (${code}) before printing its first line`)));
  });
}

/**
 * Stretch: `vfio-pilot serve` in the guest, Chromium on the host (run.sh starts it on KSERVE) clicks Bind and
 * Restore on the GPU group; the guest checks its own sysfs for both moves.
 */
async function browserBind(ctx) {
  const port = Number(SERVE_PORT);
  const pair = [ctx.gpu0, ctx.gpu1];
  const group = groupOf(ctx.gpu0);
  console.log(`$ node ${CLI} serve --port ${port}`);
  const server = spawn(process.execPath, [CLI, 'serve', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  server.stderr.on('data', (d) => process.stdout.write(String(d).replace(/^(?=.)/gm, 'serve: ')));
  // serve listens on the guest's loopback only; QEMU's forward arrives on 10.0.2.15, so relay it in.
  const relay = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  try {
    const line = await firstLine(server, 90);
    const url = /https?:\/\/\S+/.exec(line)?.[0];
    check(url, `serve printed no URL: ${line}`);
    await new Promise((resolve, reject) => relay.once('error', reject).listen(port, '10.0.2.15', resolve));
    console.log(`KSERVE ${url} group=${group} functions=${pair.join(',')}`);
    await waitFor(() => pair.every((a) => driverOf(a) === 'vfio-pci'), 150, 'the GPU group reached vfio-pci');
    save('guest-bound.json', JSON.stringify(driversOf(pair)) + '\n');
    console.log(`guest: ${pair.join(' ')} on vfio-pci, moved by the browser`);
    await waitFor(() => pair.every((a) => driverOf(a) === ctx.original[a]), 150, 'the GPU group was restored');
    for (let i = 0; i < 120 && readOr(`${RESULTS}/browser-exit`) === null; i++) await sleep(250);
    const exit = readOr(`${RESULTS}/browser-exit`);
    check(exit === '0', `the browser test ${exit === null ? 'never finished' : `failed (exit ${exit})`}; see e2e/artifacts/kernel/browser.log`);
    return `Chromium bound group ${group} (${pair.join(' ')} seen on vfio-pci in the guest's sysfs) and restored it (${pair.map(driverOf).join(', ')})`;
  } finally {
    relay.close();
    server.kill('SIGTERM');
  }
}

/** Gives the route NIC its address and default route back (the kernel forgot them with the unbind). */
function restoreRoute(ctx) {
  const ifname = fs.readdirSync('/sys/class/net').find((n) => {
    try {
      return pciFunctionOf(`/sys/class/net/${n}/device`) === ctx.routeNic;
    } catch {
      return false;
    }
  });
  check(ifname, `no interface for ${ctx.routeNic} after restore`);
  for (const args of [['link', 'set', ifname, 'up'], ['addr', 'add', '10.0.2.15/24', 'dev', ifname], ['route', 'add', 'default', 'via', '10.0.2.2', 'dev', ifname]]) {
    check(run('/bin/busybox', ['ip', ...args]).status === 0, `ip ${args.join(' ')} failed`);
  }
  check(defaultRouteInterface() === ifname, 'default route not back');
  return `; default route back on ${ifname}`;
}

// ---- main -------------------------------------------------------------------------------------------------

async function main() {
  console.log(`KPLAN ${PLAN.map(([name]) => name).join(' ')}`);
  let ctx;
  try {
    ctx = discover();
  } catch (e) {
    for (const [name] of PLAN) console.log(`KSTEP ${name}: FAIL could not find the bench's devices: ${e.message}`);
    return 1;
  }
  // Without the boot-override step (KBENCH_STEPS), the GPU is still where the boot put it: give it back first.
  if (!PLAN.some(([name]) => name === 'boot-override') && driverOf(ctx.gpu0) === 'vfio-pci') {
    console.log('--- (boot-override not run: handing the GPU back from its boot-time vfio-pci)');
    try {
      handBack(ctx);
    } catch (e) {
      console.log(`could not hand the GPU back: ${e.message}`);
    }
  }
  let failures = 0;
  const summary = [];
  for (const [name, step] of PLAN) {
    console.log(`--- ${name}`);
    const t0 = process.hrtime.bigint();
    let status = 'PASS';
    let detail;
    try {
      detail = await step(ctx);
    } catch (e) {
      status = 'FAIL';
      detail = e instanceof StepFailure ? e.message : `${e.stack ?? e}`.split('\n').slice(0, 3).join(' | ');
      failures++;
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    summary.push({ name, status, detail, seconds });
    console.log(`KSTEP ${name}: ${status} ${detail} (${seconds.toFixed(1)}s)`);
  }
  save('steps.json', JSON.stringify(summary, null, 2) + '\n');
  save('journal.jsonl', readOr(JOURNAL, '') + '\n');
  return failures === 0 ? 0 : 1;
}

process.exitCode = await main();
