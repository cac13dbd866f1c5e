// Types for scripts/build.js (plain JavaScript: it runs before anything is compiled).
export declare const ROOT: string;
export declare function build(): void;
export declare function ensureBuilt(): void;
export declare function newerThanBuild(): string | undefined;
export declare const BUNDLE: string;
export declare function loadedOnDemand(): string[];
export declare const DEFERRED_MJML_PARTS: string[];
