// The Dockerfile that the Compose and Kubernetes exports build from. Pure.

import type { ExportModel } from './model.ts'
import { APP_DIR, type ExportFile, header } from './shared.ts'

/** How the image installs the workspace's packages: from its lockfile, as the project does. */
export type PackageManager = 'bun' | 'npm-ci' | 'npm'

/**
 * One image for every worker of the workspace: Node (for node and tsx workers) with the Bun that
 * bun-pm runs with copied in (for bun workers), the project's packages, its build if it has one,
 * then its devDependencies removed (`npm ci --omit=dev`'s set: what bun-pm and the workers run on).
 * Its ignore file (BuildKit reads `<Dockerfile>.dockerignore`) keeps `.env` files out of the image:
 * secrets reach the containers at run time, never through a layer. `dir` is where the files go,
 * relative to the workspace root, to name the export folder in the ignore file.
 */
export function renderDockerfile(model: ExportModel, target: string, packageManager: PackageManager, dir: string, projectIgnore: string[] = []): ExportFile[] {
  const install = {
    'bun': ['COPY package.json bun.lock* ./', 'RUN bun install --frozen-lockfile'],
    'npm-ci': ['COPY package.json package-lock.json ./', 'RUN npm ci --no-audit --no-fund'],
    'npm': ['COPY package.json ./', 'RUN npm install --no-audit --no-fund'],
  }[packageManager]
  // The build may need the devDependencies (a bundler, TypeScript); what runs needs only the rest.
  const prune = packageManager === 'bun'
    ? 'RUN rm -rf node_modules && bun install --frozen-lockfile --production'
    : 'RUN npm prune --omit=dev --no-audit --no-fund'
  const dockerfile = [
    header(model, target),
    `# One image for every worker of "${model.namespace}": Node for node and tsx workers, Bun for bun workers.`,
    `FROM node:${model.nodeMajor}-bookworm-slim`,
    `COPY --from=oven/bun:${model.bunVersion} /usr/local/bin/bun /usr/local/bin/bun`,
    `WORKDIR ${APP_DIR}`,
    ...install,
    'COPY . .',
    'RUN npm run build --if-present',
    prune,
    'ENV NODE_ENV=production',
    '',
  ].join('\n')
  // BuildKit reads this file instead of the project's .dockerignore: that one's lines come first.
  const ignore = [
    header(model, target),
    ...(projectIgnore.length > 0 ? ['# From the project\'s .dockerignore:', ...projectIgnore, '# bun-pm export\'s own:'] : []),
    '# .env files and what export writes from them hold secrets: containers get them at run time',
    '# (an env file, a Secret), never in a layer.',
    '.env',
    '.env.*',
    '!.env.example',
    '**/secrets.env',
    '**/secrets-*.env',
    '**/secrets.yaml',
    'node_modules',
    '.git',
    '.pm2',
    '*.log',
    ...(dir && dir !== '.' ? [dir] : []),
    '',
  ].join('\n')
  return [{ path: 'Dockerfile', content: dockerfile }, { path: 'Dockerfile.dockerignore', content: ignore }]
}
