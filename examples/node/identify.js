'use strict'
// Identify one user, then a batch, then updates delivered in the background, against a local
// emulator (no credentials or network).
// With a real account, drop the emulator and set LOGROCKET_API_KEY and LOGROCKET_APP_ID
// ("org/app"): `new Client()` reads them.
//
//   node examples/node/identify.js        (after `npm install ./bindings/node`)

const { Client, Emulator, ValidationError } = require('logrocket-identify')

async function main() {
  const emulator = await Emulator.start({ apiKey: 'test' })
  try {
    const client = new Client({
      apiKey: emulator.apiKey,
      appId: 'acme/web',
      baseUrl: emulator.url,
      // Background updates that will not be delivered: log them (never their values).
      onFailure: ({ userId, error }) => console.log(`  not delivered: ${userId}: ${error.code}`),
    })

    const user = await client.identify('user-42', {
      name: 'John Smith',
      email: 'john@example.com',
      timestamp: new Date(),
      traits: { plan: 'pro', mrr: 99.5, trial: false, seats: 12n },
    })
    console.log(`identified ${user.userId}: plan=${user.traits.plan} mrr=${user.traits.mrr}`)

    try {
      await client.identify('user-43', { traits: { address: { city: 'Paris' } } })
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error
      console.log(`rejected before sending: ${error.message}`)
    }

    async function* rows() {
      for (let i = 0; i < 100; i += 1) yield { userId: `customer-${i}`, traits: { revenue: i * 10 } }
      yield { userId: '' }
    }
    const report = await client.identifyMany(rows(), { concurrency: 16 })
    console.log(`bulk: ${report.succeeded} of ${report.total} identified, ${report.failed} failed`)
    for (const failure of report.failures) {
      console.log(`  row ${failure.index}: ${failure.error.message}`)
    }

    // Background delivery: enqueue returns at once (a web handler does not wait for the API);
    // close, on shutdown, waits for what is pending (flush, in a serverless handler).
    for (let i = 0; i < 50; i += 1) client.enqueue(`visitor-${i}`, { traits: { visits: i } })
    const summary = await client.close({ timeoutMs: 5000 })
    console.log(`background: ${summary.delivered} delivered, ${summary.failed} failed, ${summary.pending} pending`)
    console.log(`the emulator stores ${(await emulator.users()).length} users`)
  } finally {
    await emulator.stop()
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
