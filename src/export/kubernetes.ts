// `export --to=kubernetes`: a Deployment (and Service) per worker, probes from heartbeats. Pure.

import { createHash } from 'node:crypto'
import { stringify } from 'yaml'
import type { ExportModel, ExportWorker } from './model.ts'
import { heartbeatPort } from '../model/heartbeat.ts'
import { publishLabel } from '../model/publish.ts'
import { loopbackNotes } from './networks.ts'
import { commonNotes, containerCommand, type ExportResult, header, inImage, isProbe, quoted, splitSecrets, waitProgram } from './shared.ts'

type Manifest = Record<string, unknown>

/**
 * Kubernetes manifests: per worker a Deployment (a Job for a one-shot worker, `autorestart:
 * false`), a Service where it has a port, a ConfigMap of its plain variables; and, in
 * `secrets.yaml` (0600), a Secret per worker with the values that came from `.env` files. Pure.
 */
export function renderKubernetes(model: ExportModel, { image }: { image: string }): ExportResult {
  const byName = new Map(model.workers.map(w => [w.name, w]))
  const docs: Manifest[] = []
  const secrets: Manifest[] = []
  const notes = commonNotes(model, 'Kubernetes')
  const { shared, own } = splitSecrets(model.workers)
  if (Object.keys(shared).length > 0)
    secrets.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `${model.name}-env`, labels: { 'app.kubernetes.io/part-of': model.name } }, type: 'Opaque', stringData: shared })
  for (const w of model.workers) {
    const labels = { 'app.kubernetes.io/name': w.service, 'app.kubernetes.io/part-of': model.name }
    const metadata = (name: string) => ({ name, labels })
    if (Object.keys(w.env).length > 0)
      docs.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(`${w.service}-env`), data: Object.fromEntries(Object.entries(w.env).map(([key, value]) => [key, quoted(value)])) })
    if (Object.keys(own(w)).length > 0)
      secrets.push({ apiVersion: 'v1', kind: 'Secret', metadata: metadata(`${w.service}-secrets`), type: 'Opaque', stringData: own(w) })
    const waits = w.dependsOn.flatMap((name) => {
      const dep = byName.get(name)
      if (!dep)
        return []
      const check = waitFor(dep)
      if (!check) {
        notes.push(`${w.name}: depends on ${name}, which has no port to wait for; Kubernetes starts both at once`)
        return []
      }
      return [{ name: containerName(`wait-for-${dep.service}`), image, command: ['bun', '-e', check] }]
    })
    const pod = {
      terminationGracePeriodSeconds: Math.ceil(w.killTimeoutMs / 1000),
      ...(w.autorestart ? {} : { restartPolicy: 'Never' }),
      ...(waits.length > 0 ? { initContainers: waits } : {}),
      containers: [container(w, image, Object.keys(w.secrets).length > 0 && Object.keys(shared).length > 0 ? `${model.name}-env` : undefined, Object.keys(own(w)).length > 0)],
    }
    const template = { metadata: { labels }, spec: pod }
    if (w.autorestart)
      docs.push({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: metadata(w.service), spec: { replicas: w.replicas, selector: { matchLabels: labels }, template } })
    else
      docs.push({ apiVersion: 'batch/v1', kind: 'Job', metadata: metadata(w.service), spec: { backoffLimit: 0, ...(w.replicas > 1 ? { completions: w.replicas, parallelism: w.replicas } : {}), template } })
    if (w.port !== undefined)
      docs.push({ apiVersion: 'v1', kind: 'Service', metadata: metadata(w.service), spec: { selector: labels, ports: [{ name: 'main', port: w.port, targetPort: w.port, protocol: 'TCP' }] } })
    if (w.replicas > 1)
      notes.push(`${w.name}: its ${w.replicas} replicas are pods of their own${w.incrementVar ? `, each on the base ${w.incrementVar}` : ''}; a Deployment gives no replica index (${w.instanceVar})`)
    if (w.publish)
      notes.push(`${w.name}: publish ${w.publish.map(publishLabel).join(', ')} is for Compose; here ${w.port === undefined ? 'it has no port, so no Service' : 'its Service is reachable inside the cluster only (ClusterIP)'}: expose it with an Ingress or a LoadBalancer Service of yours`)
    if ((w.user && !/^\d+$/.test(w.user)) || (w.group && !/^\d+$/.test(w.group)))
      notes.push(`${w.name}: uid/gid '${w.user ?? ''}${w.group ? `:${w.group}` : ''}' are names; Kubernetes runs as numeric ids only (securityContext): set them in the image or the manifest`)
  }
  const render = (list: Manifest[]) => list.map(doc => stringify(doc, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false })).join('---\n')
  const files = [{ path: 'kubernetes.yaml', content: `${header(model, 'kubernetes')}\n${render(docs)}` }]
  if (secrets.length > 0)
    files.push({ path: 'secrets.yaml', content: `${header(model, 'kubernetes')}\n# Holds the values of your .env files: keep it out of version control (kubectl apply -f secrets.yaml).\n${render(secrets)}`, secret: true } as typeof files[number])
  return { files, notes: [...notes, ...loopbackNotes(model, 'Kubernetes')] }
}

function container(w: ExportWorker, image: string, sharedSecret: string | undefined, ownSecret: boolean): Manifest {
  const envFrom = [
    ...(Object.keys(w.env).length > 0 ? [{ configMapRef: { name: `${w.service}-env` } }] : []),
    ...(sharedSecret ? [{ secretRef: { name: sharedSecret } }] : []),
    ...(ownSecret ? [{ secretRef: { name: `${w.service}-secrets` } }] : []),
  ]
  return {
    name: w.service,
    image,
    // Kubernetes expands $(VAR) in a command: $$( is a literal one.
    command: containerCommand(w).map(word => word.replace(/\$\(/g, '$$$$(')),
    workingDir: inImage(w.cwd),
    ...(/^\d+$/.test(w.user ?? '') || /^\d+$/.test(w.group ?? '') ? { securityContext: { ...(/^\d+$/.test(w.user ?? '') ? { runAsUser: Number(w.user) } : {}), ...(/^\d+$/.test(w.group ?? '') ? { runAsGroup: Number(w.group) } : {}) } } : {}),
    ...(envFrom.length > 0 ? { envFrom } : {}),
    ...(w.port !== undefined ? { ports: [{ containerPort: w.port, name: 'main' }] } : {}),
    ...(w.memoryBytes !== undefined ? { resources: { limits: { memory: quantity(w.memoryBytes) } } } : {}),
    ...probes(w),
  }
}

/**
 * bun-pm's checks as probes: readiness (the check passes), liveness (`failures` failed checks in a
 * row restart it), and a startup probe that gives it `grace` before liveness counts.
 */
function probes(w: ExportWorker): Manifest {
  if (!isProbe(w.heartbeat))
    return {}
  const { health } = w
  const url = w.heartbeat.kind === 'http' ? new URL(w.heartbeat.url) : undefined
  const action = url
    ? { httpGet: { path: `${url.pathname}${url.search}`, port: heartbeatPort(w.heartbeat), scheme: url.protocol === 'https:' ? 'HTTPS' : 'HTTP' } }
    : { tcpSocket: { port: heartbeatPort(w.heartbeat) } }
  const periodSeconds = Math.max(1, Math.round(health.intervalMs / 1000))
  const timeoutSeconds = Math.max(1, Math.ceil(health.timeoutMs / 1000))
  return {
    startupProbe: { ...action, periodSeconds: 1, timeoutSeconds, failureThreshold: Math.max(1, Math.ceil(health.graceMs / 1000)) },
    readinessProbe: { ...action, periodSeconds, timeoutSeconds, failureThreshold: 1 },
    livenessProbe: { ...action, periodSeconds, timeoutSeconds, failureThreshold: health.failures },
  }
}

/** An init container's program that waits until the dependency's Service passes its check (or takes a connection). */
function waitFor(dep: ExportWorker): string | undefined {
  if (dep.port === undefined)
    return undefined
  return waitProgram(isProbe(dep.heartbeat) ? dep.heartbeat : { kind: 'tcp', host: dep.service, port: dep.port }, 2000, { host: dep.service })
}

/** Bytes as a Kubernetes quantity: Gi, Mi or Ki where it divides, else bytes. */
export function quantity(bytes: number): string {
  for (const [unit, size] of [['Gi', 1024 ** 3], ['Mi', 1024 ** 2], ['Ki', 1024]] as const) {
    if (bytes % size === 0)
      return `${bytes / size}${unit}`
  }
  return String(bytes)
}

/** A container name of at most 63 characters: long ones keep their start and a hash of the whole. */
function containerName(name: string): string {
  return name.length <= 63 ? name : `${name.slice(0, 54).replace(/-+$/, '')}-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`
}
