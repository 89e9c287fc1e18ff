// Types of node-flags.js (plain JavaScript, since bin/ runs before Node 24 and its type stripping are known to be there).
export declare const LONG_RUNNING_COMMANDS: ReadonlySet<string>;
export declare const DEFAULT_NODE_FLAGS: readonly string[];
export declare const SINK_NODE_FLAGS: readonly string[];
export declare function nodeFlagsFor(options: { args: readonly string[]; execArgv: readonly string[]; env: Record<string, string | undefined> }): string[];
export declare const DEFAULT_NODE_ENV: Readonly<Record<string, string>>;
export declare function nodeEnvFor(env: Record<string, string | undefined>): Record<string, string | undefined>;
