// The bench's steps, run by the guest's /init with this machine's node, chrooted into the host root
// (the repo is the working directory; /sys /proc /dev are the guest kernel's). Each step prints
// `KSTEP <name>: PASS|FAIL <detail>`; e2e/kernel/run.sh reads them. Devices are found from the guest's
// own state (boot_vga, the default route, the mount table), never from the scanner under test.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { compareGroups, compareWithLspci, compareWithSysfs, findingsAbout, parseLspciVmm } from './compare.mjs';
import { compareWithHwloc, parseLstopoXml } from './hwloc.mjs';

const RESULTS = '/tmp/kbench'; // the host's e2e/artifacts/kernel/results
const VFIOCHECK = '/run/kbench/vfiocheck'; // copied there from the initramfs by /init
const JOURNAL = '/var/lib/vfio-pilot/journal.jsonl';
const PCI = '/sys/bus/pci/devices';
const CLI = 'dist/node/cli.cjs';
const HELPER = 'dist/node/vfio-pilot-helper.cjs';
// Set by run.sh when Chromium can drive the app: QEMU forwards the host's 127.0.0.1:PORT to 10.0.2.15:PORT.
const SERVE_PORT = /(?:^|\s)kbench\.serve_port=(\d+)/.exec(fs.readFileSync('/proc/cmdline', 'utf8'))?.[1];

const STEPS = [
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
  ['journal-restart', journalRestart],
  ['serve-root-refused', serveRootRefused],
  // before the route NIC's guard step: the browser reaches the guest through that NIC
  ...(SERVE_PORT ? [['browser-bind', browserBind]] : []),
  ['guard-boot-display', (ctx) => guard(ctx, ctx.bootVga, 'GUARD_BOOT_DISPLAY')],
  ['guard-default-route', (ctx) => guard(ctx, ctx.routeNic, 'GUARD_DEFAULT_ROUTE', restoreRoute)],
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
const groupOf = (address) => Number(linkName(`${PCI}/${address}/iommu_group`));
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
  return { addresses, bootVga, gpu0, gpu1, routeIf, routeNic, disk: mount[0], diskController, spareIf, spareNic };
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
  const r = run(process.execPath, [HELPER, ...args]);
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

function topology(ctx) {
  const nodes = fs.readdirSync('/sys/devices/system/node').filter((n) => /^node\d+$/.test(n));
  check(nodes.length === 2, `expected 2 NUMA nodes, found ${nodes.join(' ')}`);
  const groups = fs.readdirSync('/sys/kernel/iommu_groups');
  check(groups.length > 0, 'no IOMMU groups: the emulated IOMMU is not on');
  check(readOr(`${PCI}/${ctx.gpu0}/numa_node`) === '1', `GPU ${ctx.gpu0} numa_node=${readOr(`${PCI}/${ctx.gpu0}/numa_node`)}, expected 1`);
  check(groupOf(ctx.gpu0) === groupOf(ctx.gpu1), `GPU functions in groups ${groupOf(ctx.gpu0)} and ${groupOf(ctx.gpu1)}`);
  const ids = (a) => `${readOr(`${PCI}/${a}/vendor`)}:${readOr(`${PCI}/${a}/device`)}`;
  check(ids(ctx.bootVga) === ids(ctx.gpu0), `boot VGA ${ids(ctx.bootVga)} and GPU ${ids(ctx.gpu0)} differ`);
  ctx.original = driversOf(ctx.addresses);
  save('devices.json', JSON.stringify({ ...ctx, kernel: readOr('/proc/sys/kernel/osrelease') }, null, 2));
  return `${nodes.length} nodes, ${groups.length} groups; boot VGA ${ctx.bootVga}, GPU ${ctx.gpu0}+.1 group ${groupOf(ctx.gpu0)}, route ${ctx.routeIf}=${ctx.routeNic}, disk ${ctx.disk}=${ctx.diskController}, spare ${ctx.spareIf}=${ctx.spareNic}`;
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
/** Issue 12 item 1 on a real kernel: `serve` as root on the real host, with no sudo user to drop to, refuses. */
function serveRootRefused() {
  const r = run(process.execPath, [CLI, 'serve', '--port', '0']);
  check(r.status === 2, `serve as root on / must refuse with exit 2, got ${r.status}`);
  check(/refus/i.test(r.stderr), `serve's refusal must say why: ${r.stderr.trim()}`);
}

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

function withGroup(ctx) {
  const pair = [ctx.gpu0, ctx.gpu1];
  const result = helper('--with-group', 'bind-vfio', ctx.gpu0);
  expectOk(result, `bind-vfio --with-group ${ctx.gpu0}`);
  expectDrivers(pair, 'vfio-pci', 'after bind --with-group');
  const viable = expectViable(groupOf(ctx.gpu0), ctx.gpu0);
  restoreAndCheck(pair, ctx.original);
  return `both functions bound, ${viable}; restored`;
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

/** A guarded device: refused with `code` and untouched, bound with --force, restored. */
function guard(ctx, address, code, afterRestore) {
  const refused = helper('bind-vfio', address);
  expectRefused(refused, code, `bind-vfio ${address}`);
  expectDrivers([address], ctx.original, 'after the refusal');
  const forced = helper('--force', 'bind-vfio', address);
  expectOk(forced, `--force bind-vfio ${address}`);
  expectDrivers([address], 'vfio-pci', 'after --force');
  restoreAndCheck([address], ctx.original);
  const extra = afterRestore ? afterRestore(ctx) : '';
  return `refused (${refused.error.message}); --force bound it; restored to ${driverOf(address)}${extra}`;
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
function firstLine(child, seconds) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new StepFailure(`serve printed no URL within ${seconds}s`)), seconds * 1000);
    child.stdout.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(buf.slice(0, nl).trim());
      }
    });
    child.on('exit', (code) => reject(new StepFailure(`serve exited (${code}) before printing its URL`)));
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
