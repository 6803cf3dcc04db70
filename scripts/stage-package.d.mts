// Types for test/packaging (scripts/stage-package.mjs is plain JavaScript run by node).
export declare const DEB_DEPENDS: string[];
export declare const RPM_DEPENDS: string[];
export declare function stagePackages(out: string): { deb: string; rpm: string };
