/** The analysis layer: pure functions over the host model, run in main and in the renderer. */
export { analyse, compareFindings, kernelParams } from './findings';
export type { AnalysisInput } from './findings';
export { endpointSlots, groupIsolation, isGroupEndpoint } from './isolation';
export { lookupQuirks, QUIRK_KIND_INFO, QUIRK_KINDS, QUIRK_SOURCES, QUIRK_TABLE } from './quirks';
export type { DeviceSet, QuirkKind, QuirkKindInfo, QuirkMatch, QuirkQuery, QuirkRule, QuirkSource } from './quirks';
