/** Host-wide checks: CPU virtualisation and KVM, the IOMMU (firmware, kernel, interrupt remapping), vfio modules. */
import { GRUB_HOWTO } from '../analysis/findings';
import type { CheckInput } from './common';
import { cmdlineEvidence, ev, finding, isLoaded, kernelAtLeast, listWords, moduleWhere, params, readProblem } from './common';
import type { Check, Evidence } from './types';

const cpuinfoProblem = (input: CheckInput): Evidence =>
  ev('/proc/cpuinfo', input.inventory.host.notices.find((n) => n.includes('/proc/cpuinfo')) ?? 'cannot be read');

export function cpuVirtualizationCheck(input: CheckInput): Check {
  const { cpu } = input.inventory.host;
  const base = { id: 'cpu-virtualization', title: 'CPU virtualisation (VT-x / AMD-V)' };
  if (cpu.vendorId === null) {
    return { ...base, status: 'unknown', verdict: 'The CPU flags could not be read.', evidence: [cpuinfoProblem(input)], fix: null };
  }
  if (cpu.virtualization) {
    const name = cpu.virtualization === 'vmx' ? 'Intel VT-x' : 'AMD-V';
    return {
      ...base,
      status: 'ok',
      verdict: `${name} is on (the CPU lists ${cpu.virtualization}).`,
      evidence: [ev('/proc/cpuinfo', `vendor_id ${cpu.vendorId}; flags include ${cpu.virtualization}`)],
      fix: null,
    };
  }
  const f = finding(input, 'NO_VIRTUALIZATION');
  return {
    ...base,
    status: 'fail',
    verdict: 'The CPU offers neither vmx nor svm: KVM cannot run guests.',
    evidence: [ev('/proc/cpuinfo', `vendor_id ${cpu.vendorId}; flags have neither vmx nor svm`)],
    fix: { text: f?.message ?? 'Enable CPU virtualisation (VT-x or SVM Mode) in the UEFI setup and reboot.' },
    findings: f ? [{ code: f.code, subject: null }] : undefined,
  };
}

export function kvmCheck(input: CheckInput): Check {
  const { cpu } = input.inventory.host;
  const { devKvm } = input.facts;
  const base = { id: 'kvm', title: 'KVM usable (/dev/kvm)' };
  const module = cpu.vendor === 'amd' ? 'kvm_amd' : cpu.vendor === 'intel' ? 'kvm_intel' : null;
  const loaded = module ? isLoaded(input, module) : null;
  const where = module ? moduleWhere(input, module) : null;
  const state = loaded ? 'loaded' : where === 'builtin' ? 'built in' : where ? 'available, not loaded' : loaded === null ? 'unknown' : 'not found';
  const evidence: Evidence[] = [
    devKvm.status === 'ok' ? ev(devKvm.path, 'present') : readProblem(devKvm),
    ...(module ? [ev('/proc/modules', `${module} ${loaded === null ? 'unknown (unreadable)' : loaded ? 'loaded' : 'not loaded'}`)] : []),
    ...(module && where ? [ev(`/lib/modules/${input.facts.kernelRelease}/${where === 'builtin' ? 'modules.builtin' : 'modules.dep'}`, `${module}: ${where}`)] : []),
  ];
  if (devKvm.status === 'ok') {
    return { ...base, status: 'ok', verdict: `/dev/kvm is there${module ? ` (${module} ${state})` : ''}.`, evidence, fix: null };
  }
  if (devKvm.status === 'error') {
    return { ...base, status: 'unknown', verdict: '/dev/kvm could not be checked.', evidence, fix: null };
  }
  if (cpu.vendorId !== null && cpu.virtualization === null) {
    return {
      ...base,
      status: 'fail',
      verdict: '/dev/kvm is missing because the CPU does not offer virtualisation.',
      evidence,
      fix: { text: 'Turn on CPU virtualisation first (see the check above); the kvm module then creates /dev/kvm.' },
    };
  }
  const name = module ?? 'kvm_intel or kvm_amd';
  return {
    ...base,
    status: 'fail',
    verdict: `/dev/kvm is missing (${name} ${state}).`,
    evidence,
    fix: {
      text:
        `Load ${name}; if it refuses, \`dmesg | grep kvm\` says why (often "disabled by bios": enable virtualisation in the UEFI setup). ` +
        `To load it at every boot, put ${name} in /etc/modules-load.d/kvm.conf.`,
      action: { command: `sudo modprobe ${module ?? 'kvm_intel'}` },
    },
  };
}

const unitKinds = (input: CheckInput) => [...new Set(input.facts.iommuUnits.units.map((u) => u.kind))];
const KIND_WORDS = { intel: 'Intel VT-d (DMAR)', amd: 'AMD-Vi (IVRS)', other: 'other' } as const;

function intelDefaultOn(input: CheckInput): boolean | null {
  const { kernelConfig } = input.facts;
  if (kernelConfig.status !== 'ok') return null;
  return kernelConfig.options.CONFIG_INTEL_IOMMU_DEFAULT_ON === 'y';
}

function configEvidence(input: CheckInput, option: string): Evidence {
  const { kernelConfig } = input.facts;
  if (kernelConfig.status !== 'ok') return readProblem(kernelConfig);
  const value = kernelConfig.options[option];
  return ev(kernelConfig.path, value === undefined || value === 'n' ? `${option} is not set` : `${option}=${value}`);
}

const groupsEvidence = (input: CheckInput) =>
  ev('/sys/kernel/iommu_groups', input.inventory.host.iommuGroupsPresent ? `${input.inventory.groups.length} groups` : 'no groups');

export function iommuFirmwareCheck(input: CheckInput): Check {
  const { iommuUnits } = input.facts;
  const base = { id: 'iommu-firmware', title: 'IOMMU present in the firmware' };
  if (iommuUnits.status === 'error') {
    return { ...base, status: 'unknown', verdict: 'The IOMMU units could not be listed.', evidence: [readProblem(iommuUnits)], fix: null };
  }
  const units = iommuUnits.units;
  const unitEvidence = ev(iommuUnits.path, units.length ? units.map((u) => u.name).join(' ') : iommuUnits.status === 'absent' ? 'missing' : 'empty');
  if (units.length > 0) {
    const kinds = listWords(unitKinds(input).map((k) => KIND_WORDS[k]));
    return { ...base, status: 'ok', verdict: `${units.length} IOMMU unit${units.length > 1 ? 's' : ''}: ${kinds}.`, evidence: [unitEvidence], fix: null };
  }
  if (input.inventory.host.iommuGroupsPresent) {
    return { ...base, status: 'ok', verdict: 'IOMMU groups exist, although no unit is listed in /sys/class/iommu.', evidence: [unitEvidence, groupsEvidence(input)], fix: null };
  }
  // The kernel registers units only when it turns the IOMMU on: with Intel's left off, no units says nothing.
  const { cpu } = input.inventory.host;
  const p = params(input);
  const askedOff = ['intel_iommu', 'amd_iommu', 'iommu'].some((n) => (p?.get(n) ?? '').split(',').includes('off'));
  const intelNotAsked = cpu.vendor === 'intel' && !(p?.get('intel_iommu') ?? '').split(',').includes('on') && intelDefaultOn(input) !== true;
  if (askedOff || intelNotAsked) {
    return {
      ...base,
      status: 'unknown',
      verdict: 'Not known: the kernel was not asked to turn the IOMMU on, and it lists the firmware\u2019s units only then.',
      evidence: [unitEvidence, cmdlineEvidence(input), ...(cpu.vendor === 'intel' ? [configEvidence(input, 'CONFIG_INTEL_IOMMU_DEFAULT_ON')] : [])],
      fix: { text: 'Turn the IOMMU on in the kernel (see the next check), then look again.' },
    };
  }
  const setting = cpu.vendor === 'amd' ? '"IOMMU" (AMD-Vi) and "SVM Mode"' : cpu.vendor === 'intel' ? '"VT-d"' : 'the IOMMU (VT-d or AMD-Vi)';
  return {
    ...base,
    status: 'fail',
    verdict: 'The firmware reports no IOMMU although the kernel would use one.',
    evidence: [unitEvidence, cmdlineEvidence(input)],
    fix: { text: `Enable ${setting} in the UEFI setup and reboot (some boards need a firmware update for it).` },
  };
}

export function iommuKernelCheck(input: CheckInput): Check {
  const { host } = input.inventory;
  const base = { id: 'iommu-kernel', title: 'IOMMU on in the kernel' };
  const intel = host.cpu.vendor === 'intel';
  const evidence = [groupsEvidence(input), cmdlineEvidence(input), ...(intel ? [configEvidence(input, 'CONFIG_INTEL_IOMMU_DEFAULT_ON')] : [])];
  if (host.iommuGroupsPresent) {
    const byDefault = finding(input, 'IOMMU_DEFAULT_ON');
    if (byDefault) {
      const config = intelDefaultOn(input);
      return {
        ...base,
        status: 'ok',
        verdict:
          `On, ${input.inventory.groups.length} groups, without intel_iommu=on: ` +
          (config === true ? 'this kernel is built default-on (CONFIG_INTEL_IOMMU_DEFAULT_ON=y).' : 'the kernel turned it on by its build default.'),
        evidence,
        fix: { text: byDefault.message },
        findings: [{ code: byDefault.code, subject: null }],
      };
    }
    const amd = host.cpu.vendor === 'amd' ? ' (the AMD IOMMU is on by default)' : '';
    return { ...base, status: 'ok', verdict: `On: ${input.inventory.groups.length} IOMMU groups${amd}.`, evidence, fix: null };
  }
  if (host.cmdline === null && host.cpu.vendor === 'other') {
    return { ...base, status: 'unknown', verdict: 'No IOMMU groups, and the command line could not be read.', evidence, fix: null };
  }
  const off = finding(input, 'IOMMU_DISABLED');
  const config = intel ? intelDefaultOn(input) : null;
  const p = params(input);
  const asked = (p?.get('intel_iommu') ?? '').split(',').includes('on');
  const why =
    intel && !asked && config === false
      ? ' This kernel does not turn VT-d on by itself (CONFIG_INTEL_IOMMU_DEFAULT_ON is not set): it needs intel_iommu=on.'
      : intel && !asked && config === null
        ? ' Kernels built without CONFIG_INTEL_IOMMU_DEFAULT_ON need intel_iommu=on.'
        : '';
  return {
    ...base,
    status: 'fail',
    verdict: `Off: the kernel made no IOMMU groups.${why}`,
    evidence,
    fix: { text: off?.message ?? `Enable the IOMMU in the UEFI setup; on Intel add intel_iommu=on ${GRUB_HOWTO}.` },
    findings: off ? [{ code: off.code, subject: null }] : undefined,
  };
}

/** iommu=pt: host devices skip DMA translation (faster), passthrough devices are still isolated. A suggestion, not a need. */
export function iommuPassthroughCheck(input: CheckInput): Check | null {
  if (!input.inventory.host.iommuGroupsPresent) return null;
  const p = params(input);
  const base = { id: 'iommu-pt', title: 'IOMMU passthrough mode for host devices (iommu=pt)' };
  if (p === null) return { ...base, status: 'unknown', verdict: 'The command line could not be read.', evidence: [cmdlineEvidence(input)], fix: null };
  if (p.get('iommu') === 'pt') return { ...base, status: 'ok', verdict: 'iommu=pt is set.', evidence: [cmdlineEvidence(input)], fix: null };
  return {
    ...base,
    status: 'ok',
    verdict: 'iommu=pt is not set: host devices use DMA translation too (works; a little slower).',
    evidence: [cmdlineEvidence(input)],
    fix: { text: `Suggested: add iommu=pt ${GRUB_HOWTO}. Devices given to VMs stay isolated either way.` },
  };
}

function unsafeAllowed(input: CheckInput): { allowed: boolean; evidence: Evidence[] } {
  const p = params(input);
  const value = p?.get('vfio_iommu_type1.allow_unsafe_interrupts');
  const onCmdline = value === '1' || value === 'Y' || value === 'y' || (p?.has('vfio_iommu_type1.allow_unsafe_interrupts') === true && value === null);
  const { unsafeInterrupts } = input.facts;
  const evidence: Evidence[] = [cmdlineEvidence(input)];
  if (unsafeInterrupts.status === 'ok') evidence.push(ev(unsafeInterrupts.path, unsafeInterrupts.value ? 'Y' : 'N'));
  const inModprobe = input.facts.moduleConfig.requests.filter(
    (r) => r.kind === 'options' && r.module === 'vfio_iommu_type1' && /allow_unsafe_interrupts=(1|y)/i.test(r.text),
  );
  for (const r of inModprobe) evidence.push(ev(r.file, `line ${r.line}: ${r.text}`));
  return { allowed: onCmdline || unsafeInterrupts.value === true || inModprobe.length > 0, evidence };
}

const UNSAFE_COST =
  'allow_unsafe_interrupts=1 (seed 003) makes vfio accept the device anyway, at a cost: a guest driver (or a malicious ' +
  'guest) can then send forged MSI writes that land as host interrupts; keep it for guests you trust';

export function interruptRemappingCheck(input: CheckInput): Check {
  const { host } = input.inventory;
  const base = { id: 'interrupt-remapping', title: 'Interrupt remapping' };
  const capable = input.facts.iommuUnits.units.filter((u) => u.interruptRemappingCapable !== null);
  const capEvidence = capable.map((u) => ev(`/sys/class/iommu/${u.name}/intel-iommu/ecap`, `IR bit (3) ${u.interruptRemappingCapable ? 'set' : 'clear'}`));
  if (!host.iommuGroupsPresent) {
    return { ...base, status: 'unknown', verdict: 'Not known while the IOMMU is off.', evidence: [groupsEvidence(input), ...capEvidence], fix: null };
  }
  if (host.interruptRemapping === null) {
    return {
      ...base,
      status: 'unknown',
      verdict: '/proc/interrupts could not be read.',
      evidence: [ev('/proc/interrupts', 'cannot be read'), ...capEvidence],
      fix: null,
    };
  }
  if (host.interruptRemapping) {
    return { ...base, status: 'ok', verdict: 'On: MSI interrupts are remapped (IR-PCI-MSI).', evidence: [ev('/proc/interrupts', 'IR- interrupt chips listed'), ...capEvidence], fix: null };
  }
  const unsafe = unsafeAllowed(input);
  const f = finding(input, 'NO_INTERRUPT_REMAPPING');
  const evidence = [ev('/proc/interrupts', 'no IR- interrupt chip: interrupts are not remapped'), ...capEvidence, ...unsafe.evidence];
  if (unsafe.allowed) {
    return {
      ...base,
      status: 'warn',
      verdict: 'Off, and vfio is told to allow unsafe interrupts: assignment works, without interrupt isolation.',
      evidence,
      fix: { text: `${capitaliseFirst(UNSAFE_COST)}. To drop it, enable interrupt remapping (x2APIC) in the UEFI setup or update the firmware.` },
      findings: f ? [{ code: f.code, subject: null }] : undefined,
    };
  }
  return {
    ...base,
    status: 'fail',
    verdict: 'Off: vfio refuses to give devices to a VM.',
    evidence,
    fix: {
      text:
        'Enable interrupt remapping (x2APIC) in the UEFI setup or update the firmware. Otherwise ' +
        `${UNSAFE_COST}: add vfio_iommu_type1.allow_unsafe_interrupts=1 ${GRUB_HOWTO}.`,
    },
    findings: f ? [{ code: f.code, subject: null }] : undefined,
  };
}

const capitaliseFirst = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);

const VFIO_MODULES = ['vfio', 'vfio_iommu_type1', 'vfio_pci'] as const;

export function vfioModulesCheck(input: CheckInput): Check {
  const { facts } = input;
  const release = facts.kernelRelease ?? 'the running kernel';
  const base = { id: 'vfio-modules', title: 'vfio modules for the running kernel' };
  const states = VFIO_MODULES.map((name) => {
    const loaded = isLoaded(input, name);
    const where = moduleWhere(input, name);
    const state: 'loaded' | 'built in' | 'available' | 'missing' | 'unknown' = loaded
      ? 'loaded'
      : where === 'builtin'
        ? 'built in'
        : where
          ? 'available'
          : facts.modulesDep.status === 'ok' || facts.modulesBuiltin.status === 'ok'
            ? 'missing'
            : 'unknown';
    return { name, state, where };
  });
  const evidence: Evidence[] = [
    ev('/proc/modules', input.inventory.host.modules === null ? 'cannot be read' : `loaded: ${states.filter((s) => s.state === 'loaded').map((s) => s.name).join(' ') || 'none of them'}`),
    facts.modulesDep.status === 'ok'
      ? ev(facts.modulesDep.path, states.filter((s) => s.where && s.where !== 'builtin').map((s) => `${s.where}`).join(' ') || 'none of them listed')
      : readProblem(facts.modulesDep),
    facts.modulesBuiltin.status === 'ok'
      ? ev(facts.modulesBuiltin.path, states.filter((s) => s.where === 'builtin').map((s) => s.name).join(' ') || 'none of them built in')
      : readProblem(facts.modulesBuiltin),
  ];
  const byState = new Map<string, string[]>();
  for (const s of states) byState.set(s.state, [...(byState.get(s.state) ?? []), s.name]);
  const words = [...byState].map(([state, names]) => `${listWords(names)} ${state === 'available' ? 'available (loaded on demand)' : state}`).join('; ');
  const missing = states.filter((s) => s.state === 'missing');
  if (missing.length > 0) {
    return {
      ...base,
      status: 'fail',
      verdict: `Not found for ${release}: ${missing.map((s) => s.name).join(', ')}.`,
      evidence,
      fix: {
        text:
          `Install the modules package of kernel ${release} (Ubuntu: linux-modules-extra-${release}; most distributions ship vfio ` +
          'with the kernel), or boot a kernel built with CONFIG_VFIO_PCI.',
      },
    };
  }
  if (states.some((s) => s.state === 'unknown')) {
    return { ...base, status: 'unknown', verdict: `Could not tell: ${words}.`, evidence, fix: null };
  }
  return { ...base, status: 'ok', verdict: `${words}.`, evidence, fix: null };
}

/** Kernel 6.2 folded vfio_virqfd into vfio: asking for it fails module loading and mkinitcpio/dracut builds. */
export function vfioVirqfdCheck(input: CheckInput): Check | null {
  const release = input.facts.kernelRelease;
  const asks = input.facts.moduleConfig.requests.filter((r) => r.module === 'vfio_virqfd' && r.kind !== 'blacklist');
  const newKernel = kernelAtLeast(release, 6, 2);
  if (newKernel !== true) return null;
  const base = { id: 'vfio-virqfd', title: 'No request for vfio_virqfd (gone since kernel 6.2)' };
  const unreadable = input.facts.moduleConfig.files.filter((f) => f.status === 'error');
  if (asks.length === 0) {
    if (unreadable.length > 0) {
      return { ...base, status: 'unknown', verdict: 'Some module configuration could not be read.', evidence: unreadable.map(readProblem), fix: null };
    }
    return {
      ...base,
      status: 'ok',
      verdict: `Nothing asks for vfio_virqfd, which kernel ${release} no longer has.`,
      evidence: [ev('/etc/modules-load.d, /etc/modprobe.d, initramfs module lists', 'no vfio_virqfd')],
      fix: null,
    };
  }
  const where = asks.map((r) => `${r.file}:${r.line}`);
  return {
    ...base,
    status: 'fail',
    verdict: `Kernel ${release} has no vfio_virqfd (merged into vfio in 6.2), but ${listWords(where)} ask${asks.length === 1 ? 's' : ''} for it.`,
    evidence: asks.map((r) => ev(r.file, `line ${r.line}: ${r.text}`)),
    fix: {
      text:
        `Delete vfio_virqfd from ${listWords([...new Set(asks.map((r) => r.file))])}, then rebuild the initramfs ` +
        '(update-initramfs -u, dracut -f or mkinitcpio -P): on 6.2+ the module does not exist, so loading it fails and mkinitcpio stops.',
      action: { command: `sudo sed -i -E 's/[ \\t]*vfio[-_]virqfd//g' ${[...new Set(asks.map((r) => r.file))].join(' ')}` },
    },
  };
}
