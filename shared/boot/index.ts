/** Boot-time isolation: detect the layout, plan the files and commands (pure), format the plan. */
export * from './types';
export { BOOT_DIRS, BOOT_DIRS_READ, BOOT_FILES } from './tree';
export { detectLayout } from './detect';
export { planBoot, expandSelection, type BootPlanInput } from './plan';
export { formatPlan } from './format';
