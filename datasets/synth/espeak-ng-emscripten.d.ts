/** The package ships no types: its default export initialises the Emscripten module. */
declare module '@echogarden/espeak-ng-emscripten' {
  const init: (moduleArg?: Record<string, unknown>) => Promise<unknown>;
  export default init;
}
