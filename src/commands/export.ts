// `export --to=compose|kubernetes|systemd|pm2`: the citty command; the work is src/export/.

import { defineCommand } from 'citty'
import { rejectUnknownFlags } from './reject-unknown-flags.ts'
import { runExport, type Target, TARGETS } from '../export/run-export.ts'
import { depsArg, envArg, selectionArgs, toSelection } from './_shared.ts'

export default defineCommand({
  meta: {
    name: 'export',
    description: 'Write the workspace for another engine: a compose.yaml, Kubernetes manifests, systemd units or a PM2 ecosystem file',
  },
  args: {
    to: { type: 'enum', options: [...TARGETS], required: true, description: `The engine: ${TARGETS.join(', ')}`, valueHint: 'target' },
    ...selectionArgs,
    ...depsArg,
    ...envArg,
    out: { type: 'string', description: 'Folder to write the files to (default: the one file to stdout)', valueHint: 'dir' },
    image: { type: 'string', description: 'compose, kubernetes: the image the containers run (default: <workspace>:latest, built from a generated Dockerfile)', valueHint: 'ref' },
    json: { type: 'boolean', description: 'One JSON object: the files written (without --out: each one\'s content, nothing written) and the notes' },
  },
  plugins: [rejectUnknownFlags('export')],
  async run({ args }) {
    process.exitCode = await runExport({ cwd: args.cwd, to: args.to as Target, selection: toSelection(args), env: args.env ?? 'production', out: args.out, image: args.image, json: Boolean(args.json) })
  },
})
