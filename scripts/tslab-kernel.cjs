#!/usr/bin/env node
/**
 * The tslab kernel for splam-lab's notebooks (the kernelspec written by `splam notebook kernel` starts this file).
 *
 * Three adjustments, all for how tslab runs project code:
 *  1. The working directory is the repository root, whatever folder Jupyter or VS Code starts the kernel in:
 *     tslab compiles local imports with `rootDir` = the working directory, so cells import `./lib/...`, and runs
 *     log to the same ./store as the CLI.
 *  2. tslab re-emits the library as CommonJS; the few library modules that use `import.meta.url` get it rewritten to
 *     the CommonJS equivalent (`pathToFileURL(__filename)`), which TypeScript leaves as is. Without this, Node
 *     sees `import.meta` and loads the CommonJS output as an ES module.
 *  3. Library files are not watched for changes: tslab's watcher schedules a rebuild when an imported file
 *     changes on disk, and the next cell then fails with "Unexpected pending rebuildTimer". As with Python
 *     modules, restart the kernel to pick up edits to lib/.
 */
'use strict';
const path = require('node:path');
const Module = require('node:module');

const root = path.resolve(__dirname, '..');
process.chdir(root);
const libDir = path.join(root, 'lib') + path.sep;
const compile = Module.prototype._compile;
Module.prototype._compile = function (content, filename) {
  if (filename.startsWith(libDir) && content.includes('import.meta.url') && content.includes('exports')) {
    content = content.replaceAll('import.meta.url', 'require("node:url").pathToFileURL(__filename).href');
  }
  return compile.call(this, content, filename);
};
const ts = require('@tslab/typescript-for-tslab');
const noWatch = () => ({ close() {} });
ts.sys.watchFile = noWatch;
ts.sys.watchDirectory = noWatch;

require('tslab/dist/main.js').main();
