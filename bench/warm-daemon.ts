// `bun bench/warm-daemon.ts`: spawns the daemon of PM2_HOME the way bun-pm does, and exits.
// A process of its own, because pm2 binds itself to one PM2 home per process.
import { connectPm2, userPm2Home } from '../src/pm2/client.ts'

const client = await connectPm2(userPm2Home())
client.disconnect()
process.exit(0)
