// Kept for the workers an earlier bun-pm started: their PM2 options preload this file (`--preload
// …/worker/preload.js`), and PM2 could not restart them without it. Its jobs are the entry's now
// (src/worker/entry.ts, which every bun worker runs): one module less before the worker's code, at
// every start and every `bun --watch` reload.
export {}
