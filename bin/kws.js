#!/usr/bin/env node
// Flite runs as WASI, which Node flags as experimental on first use; that notice is not the user's concern.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const text = typeof warning === 'string' ? warning : warning?.message ?? '';
  if (/\bWASI\b/.test(text)) return;
  emitWarning(warning, ...rest);
};
await import('../dist/cli/main.js');
