import { defineWorkspace } from './src/index.ts'

const port = process.env.PORT ?? '3000'

export default defineWorkspace({
  defaults: {
    max_memory_restart: '200M',
    env: { LOG_LEVEL: 'info' },
  },
  workers: [
    {
      name: 'primary-webserver',
      group: 'primary',
      heartbeat: `http://127.0.0.1:${port}/health`,
      bun: 'workers/webserver.ts',
      node: 'dist/workers/webserver.js',
      tsx: 'workers/webserver.ts',
      options: { env: { PORT: port } },
    },
    {
      name: 'primary-background',
      group: 'primary',
      heartbeat: '30s',
      // Starts once the webserver answers its heartbeat; stops before it.
      dependsOn: ['primary-webserver'],
      bun: 'workers/background.ts',
      node: 'dist/workers/background.js',
    },
    {
      name: 'jobs-mailer',
      group: 'jobs',
      bun: 'workers/mailer.ts',
      options: { max_memory_restart: '150M', env: { MAIL_BATCH: '5' } },
    },
    {
      name: 'jobs-reports',
      group: 'jobs',
      activated: false,
      bun: 'workers/reports.ts',
    },
  ],
})
