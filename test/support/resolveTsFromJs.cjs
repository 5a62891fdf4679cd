// Jest loads globalSetup/globalTeardown through require(), where moduleNameMapper does not
// apply. Our sources import each other as `./x.js` (NodeNext ESM); map those to `./x.ts`.
const Module = require('node:module');
const original = Module._resolveFilename;
Module._resolveFilename = function resolveTsFromJs(request, parent, ...rest) {
  if (/^\.{1,2}\//.test(request) && request.endsWith('.js')) {
    try {
      return original.call(this, request.slice(0, -3) + '.ts', parent, ...rest);
    } catch {
      // not a TypeScript source: resolve as asked
    }
  }
  return original.call(this, request, parent, ...rest);
};
