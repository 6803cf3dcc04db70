/**
 * The readiness checks as one pure function of the inventory and the extra facts: `vfio-pilot check`, the
 * `host.check` channel and the Readiness screen all show what this returns.
 */
import type { Inventory } from '../model/host';
import type { CheckInput } from './common';
import { gpuChecks } from './gpu-checks';
import { hugepagesCheck } from './hugepage-checks';
import {
  cpuVirtualizationCheck,
  interruptRemappingCheck,
  iommuFirmwareCheck,
  iommuKernelCheck,
  iommuPassthroughCheck,
  kvmCheck,
  vfioModulesCheck,
  vfioVirqfdCheck,
} from './host-checks';
import { outOfTreeChecks } from './module-checks';
import type { Check, ReadinessFacts, ReadinessReport } from './types';

export * from './types';
export * from './format';

/** Every check, in the order of the job: CPU and KVM, IOMMU, vfio, then each GPU, memory, extra modules. */
export function runChecks(inventory: Inventory, facts: ReadinessFacts): ReadinessReport {
  const input: CheckInput = { inventory, facts };
  const checks: (Check | null)[] = [
    cpuVirtualizationCheck(input),
    kvmCheck(input),
    iommuFirmwareCheck(input),
    iommuKernelCheck(input),
    iommuPassthroughCheck(input),
    interruptRemappingCheck(input),
    vfioModulesCheck(input),
    vfioVirqfdCheck(input),
    ...gpuChecks(input),
    hugepagesCheck(input),
    ...outOfTreeChecks(input),
  ];
  return { checks: checks.filter((c): c is Check => c !== null) };
}
