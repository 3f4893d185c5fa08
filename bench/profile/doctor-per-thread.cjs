// Preloaded (node -r) into the companion under `clinic doctor`: clinic's sampler runs in every
// thread, and all of them would write one file. Each worker gets its own clinic identifier,
// named after the actor it hosts (workerData.name) or its place among its parent's workers
// (compressor pool threads), so every thread's event loop is sampled into a directory of its own.
'use strict';
const wt = require('node:worker_threads');
const { syncBuiltinESMExports } = require('node:module');

const Base = wt.Worker;
const prefix = process.env.NODE_CLINIC_DOCTOR_NAME || String(process.pid);
let n = 0;
wt.Worker = class extends Base {
  constructor(file, options = {}) {
    const name = (options.workerData && options.workerData.name) || `thread${++n}`;
    super(file, { ...options, env: { ...(options.env || process.env), NODE_CLINIC_DOCTOR_NAME: `${prefix}-${name}` } });
  }
};
syncBuiltinESMExports();
