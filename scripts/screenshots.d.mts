// Types for test/packaging (scripts/screenshots.mjs is plain JavaScript run by node).
export declare const SCREENSHOTS: { name: string; from: string; spec: string }[];
