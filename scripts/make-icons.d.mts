// Types for test/packaging (scripts/make-icons.mjs is plain JavaScript run by node).
export declare const ICON_SIZES: number[];
export declare const ICON_SOURCE: string;
export declare function renderIcon(size: number, out: string): void;
