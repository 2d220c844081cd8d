/// <reference types="vite/client" />

// The SDK checks `typeof process` to tell Node from a browser; in the browser it is undefined.
declare const process: { versions?: { node?: string } } | undefined;
