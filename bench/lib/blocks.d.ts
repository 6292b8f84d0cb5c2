export const BENCHMARKS: string;
export function replaceBlock(text: string, name: string, lines: string[]): string;
export function writeBlock(name: string, lines: string[]): void;
