// The example job worker (group `jobs`): drains a pretend mail queue, a batch at a time.
const batch = Number(process.env.MAIL_BATCH ?? 3)
let sent = 0

const timer = setInterval(() => {
  sent += batch
  console.log(`sent ${batch} mails (${sent} in all)`)
}, 7000)

console.log(`mailer up, batches of ${batch}`)

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    clearInterval(timer)
    console.log(`mailer stopping, ${sent} mails sent`)
    process.exit(0)
  })
}
