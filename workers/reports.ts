// The example deactivated worker: `activated: false` in pm.config.ts keeps it out of every run.
console.log('building the nightly report')
setTimeout(() => {
  console.log('report done')
  process.exit(0)
}, 1000)
