/** `text` with each non-ASCII UTF-16 unit written as \uXXXX (see asciiOutput.mjs). */
export function asciiOnly(text: string): string;
/** The esbuild plugin that makes every written .js file pure ASCII. */
export function asciiOutputPlugin(): import('esbuild').Plugin;
