// `export --to=systemd`: a unit per worker (and timers for cron_restart), checked by
// systemd-analyze in the tests. Pure.

import { resolve } from 'node:path'
import type { Interpreter } from '../types/config.ts'
import type { ExportModel, ExportWorker } from './model.ts'
import { heartbeatPort } from '../model/heartbeat.ts'
import { commonNotes, duration, type ExportFile, type ExportResult, header, isProbe, splitSecrets, waitProgram } from './shared.ts'

export interface SystemdOptions {
  /** Absolute paths of the interpreters on this host (ExecStart= must name one). */
  interpreters: Partial<Record<Interpreter, string>>
  /** Absolute path of the folder the files are written to (EnvironmentFile= names one there). */
  outDir: string
}

/**
 * systemd units for a host without containers: one service per worker (a template `@.service`
 * with an instance per replica), a target that groups them, and the values of `.env` files in an
 * `EnvironmentFile=` (0600; one more per worker for the secrets it alone has). A worker with an http/tcp heartbeat finishes starting only once it
 * passes (ExecStartPost= waits), so `After=` orders its dependents after its readiness, as bun-pm
 * does. Pure.
 */
export function renderSystemd(model: ExportModel, options: SystemdOptions): ExportResult {
  const byName = new Map(model.workers.map(w => [w.name, w]))
  const files: ExportFile[] = []
  const notes = commonNotes(model, 'systemd')
  const instancesOf = (w: ExportWorker) => w.replicas > 1
    ? Array.from({ length: w.replicas }, (_, i) => `${unitBase(model, w)}@${i}.service`)
    : [`${unitBase(model, w)}.service`]
  const { shared, own } = splitSecrets(model.workers)
  if (Object.keys(shared).length > 0)
    files.push({ path: `${model.name}.env`, content: `${header(model, 'systemd')}\n${environmentFile(shared)}`, secret: true })
  for (const w of model.workers) {
    const deps = w.dependsOn.flatMap(name => byName.has(name) ? instancesOf(byName.get(name)!) : [])
    const envFiles = [
      ...(Object.keys(w.secrets).length > 0 && Object.keys(shared).length > 0 ? [`${model.name}.env`] : []),
      ...(Object.keys(own(w)).length > 0 ? [`${unitBase(model, w)}.env`] : []),
    ]
    files.push({ path: `${unitBase(model, w)}${w.replicas > 1 ? '@' : ''}.service`, content: unit(model, w, deps, envFiles, options) })
    if (Object.keys(own(w)).length > 0)
      files.push({ path: `${unitBase(model, w)}.env`, content: `${header(model, 'systemd')}\n${environmentFile(own(w))}`, secret: true })
    if (isProbe(w.heartbeat))
      notes.push(`${w.name}: systemd waits for its first passed check at start (ExecStartPost=), but has no liveness check: a worker that stops answering is not restarted`)
    if (w.cronRestart) {
      const calendar = cronToCalendar(w.cronRestart)
      if (calendar)
        files.push(...cronRestart(model, w, calendar, instancesOf(w)))
      else
        notes.push(`${w.name}: cron_restart '${w.cronRestart}' has no OnCalendar= equivalent here; write a timer for it`)
    }
  }
  const all = model.workers.flatMap(instancesOf)
  files.push({
    path: `${model.name}.target`,
    content: [
      header(model, 'systemd'),
      '[Unit]',
      `Description=${model.namespace}: every worker of the workspace`,
      `Wants=${all.join(' ')}`,
      '',
      '[Install]',
      'WantedBy=multi-user.target',
      '',
    ].join('\n'),
  })
  return { files, notes }
}

function unitBase(model: ExportModel, w: ExportWorker): string {
  return `${model.name}-${w.service}`
}

function unit(model: ExportModel, w: ExportWorker, deps: string[], envFiles: string[], { interpreters, outDir }: SystemdOptions): string {
  const base = execStart(model, w, interpreters)
  const incrementBase = w.incrementVar === undefined ? undefined : Number(w.env[w.incrementVar] ?? w.secrets[w.incrementVar] ?? 0)
  // Replica i of a template gets its index, and with increment_var its own port: base + i.
  const ownPort = w.replicas > 1 && incrementBase !== undefined && Number.isInteger(incrementBase) ? w.incrementVar! : undefined
  const command = (words: string[]) => (ownPort
    ? ['/bin/sh', '-c', `export ${ownPort}=$$((${incrementBase} + %i)); exec "$$0" "$$@"`, ...words.map(escapeExec)]
    : words.map(escapeExec)).map(quote).join(' ')
  // The readiness wait checks the replica's own port when the heartbeat is aimed at the base one.
  const portFrom = ownPort && heartbeatPort(w.heartbeat) === incrementBase ? ownPort : undefined
  const { health } = w
  // A one-shot job (autorestart: false) has started once it has run: what depends on it waits for its exit, as under bun-pm.
  const oneShot = !w.autorestart
  const lines = [
    header(model, 'systemd'),
    '[Unit]',
    `Description=${model.namespace}: worker ${w.name}${w.replicas > 1 ? ' (replica %i)' : ''}`,
    `PartOf=${model.name}.target`,
    `After=network.target${deps.length ? ` ${deps.join(' ')}` : ''}`,
    ...(deps.length ? [`Requires=${deps.join(' ')}`] : []),
    // bun-pm's crash loop, as near as systemd says it: max_restarts + 1 starts within this window
    // and it stays down (systemd counts every start, not only those that ended sooner than min_uptime).
    `StartLimitIntervalSec=${Math.ceil((health.minUptimeMs * (health.maxRestarts + 1)) / 1000)}`,
    `StartLimitBurst=${health.maxRestarts + 1}`,
    '',
    '[Service]',
    ...(oneShot ? ['Type=oneshot', 'RemainAfterExit=yes'] : ['Type=simple']),
    ...(w.user ? [`User=${w.user}`] : []),
    ...(w.group ? [`Group=${w.group}`] : []),
    `WorkingDirectory=${escapeSpecifiers(resolve(model.root, w.cwd))}`,
    `ExecStart=${command(base)}`,
    ...Object.entries(w.env).map(([key, value]) => `Environment=${quote(`${key}=${escapeSpecifiers(value)}`)}`),
    // %i: the template's instance, the replica's index as PM2 would give it.
    ...(w.replicas > 1 ? [`Environment=${w.instanceVar}=%i`] : []),
    ...envFiles.map(file => `EnvironmentFile=${escapeSpecifiers(resolve(outDir, file))}`),
    ...(isProbe(w.heartbeat) && interpreters.bun && !oneShot
      ? [`ExecStartPost=${command([interpreters.bun, '-e', waitProgram(w.heartbeat, health.timeoutMs, { portFrom })])}`, `TimeoutStartSec=${duration(health.graceMs)}`]
      : []),
    `Restart=${w.autorestart ? 'always' : 'no'}`,
    `RestartSec=${duration(w.restartDelayMs)}`,
    ...(w.health.stopExitCodes.length ? [`RestartPreventExitStatus=${w.health.stopExitCodes.join(' ')}`] : []),
    `TimeoutStopSec=${duration(w.killTimeoutMs)}`,
    // The whole process tree goes on stop, as with bun-pm: no orphans.
    'KillMode=control-group',
    ...(w.memoryBytes !== undefined ? [`MemoryMax=${w.memoryBytes}`] : []),
    '',
    '[Install]',
    `WantedBy=${model.name}.target`,
    '',
  ]
  return lines.join('\n')
}

/** What ExecStart= runs: the interpreter and the script, or a cmd worker's program and its arguments, paths absolute. */
function execStart(model: ExportModel, w: ExportWorker, interpreters: SystemdOptions['interpreters']): string[] {
  if (w.interpreter === 'cmd') {
    if (!w.programPath || !w.command)
      throw new Error(`no program to name in ExecStart= for ${w.name}`)
    return [w.programPath, ...w.command.slice(1)]
  }
  const interpreter = interpreters[w.interpreter]
  if (!interpreter)
    throw new Error(`no ${w.interpreter} to name in ExecStart= for ${w.name}`)
  return [interpreter, ...(w.interpreter === 'bun' ? ['--no-env-file'] : []), ...w.interpreterArgs, resolve(model.root, w.script), ...w.args]
}

/** `%` is a specifier in every setting: written doubled, it is itself. */
export function escapeSpecifiers(value: string): string {
  return value.replace(/%/g, '%%')
}

/** In ExecStart= `$` also starts a variable. */
export function escapeExec(word: string): string {
  return escapeSpecifiers(word).replace(/\$/g, '$$$$')
}

/** One word of a systemd command line or assignment: double-quoted (with C escapes) when it must be. */
export function quote(word: string): string {
  if (word !== '' && !/[\s"'\\;]/.test(word))
    return word
  return `"${word.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`
}

/**
 * An EnvironmentFile=: values single-quoted (literal, newlines too), or, holding a ' or a \,
 * double-quoted with only what systemd unescapes there escaped (" \ ` $; a newline stays one).
 */
function environmentFile(vars: Record<string, string>): string {
  return `${Object.entries(vars).map(([key, value]) => /['\\]/.test(value)
    ? `${key}="${value.replace(/[\\"`$]/g, char => `\\${char}`)}"`
    : `${key}='${value}'`).join('\n')}\n`
}

/** A timer that restarts the worker's units on its cron schedule. */
function cronRestart(model: ExportModel, w: ExportWorker, calendar: string[], units: string[]): ExportFile[] {
  const name = `${unitBase(model, w)}-cron-restart`
  return [
    { path: `${name}.service`, content: [header(model, 'systemd'), '[Unit]', `Description=${model.namespace}: cron_restart of ${w.name}`, '', '[Service]', 'Type=oneshot', `ExecStart=/usr/bin/systemctl try-restart ${units.join(' ')}`, ''].join('\n') },
    { path: `${name}.timer`, content: [header(model, 'systemd'), '[Unit]', `Description=${model.namespace}: cron_restart of ${w.name} (${w.cronRestart})`, `PartOf=${model.name}.target`, '', '[Timer]', ...calendar.map(line => `OnCalendar=${line}`), '', '[Install]', `WantedBy=${model.name}.target`, ''].join('\n') },
  ]
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']

/**
 * A five-field cron expression as systemd's OnCalendar= lines (`m h dom mon dow` -> `dow
 * *-mon-dom h:m:00`): numbers, lists, ranges and steps; weekdays as names, a range spelled out
 * (systemd's weeks start on Monday, so `0-4` is `Sun,Mon,Tue,Wed,Thu`). With both a day of the month
 * and a weekday, cron runs on either: two lines. Undefined for what it cannot say (names, `L`,
 * `?`, six fields, a weekday step).
 */
export function cronToCalendar(cron: string): string[] | undefined {
  const fields = cron.trim().split(/\s+/)
  if (fields.length !== 5 || fields.some(f => !/^[\d*,/-]+$/.test(f)))
    return undefined
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string]
  if (/\//.test(dow))
    return undefined
  const part = (field: string) => field.split(',').map(item => item.replace(/^\*\//, '0/').replace(/-/, '..')).join(',')
  const date = (field: string) => field.startsWith('*/') ? field.replace('*/', '1/') : part(field)
  const days = dow === '*' ? '' : `${[...new Set(dow.split(',').flatMap((item) => {
    const [from, to = from] = item.split('-').map(Number) as [number, number]
    return Array.from({ length: Math.max(0, to - from) + 1 }, (_, i) => DAYS[from + i] ?? '?')
  }))].join(',')} `
  if (days.includes('?'))
    return undefined
  const time = `${part(hour)}:${part(minute)}:00`
  if (days && dom !== '*')
    return [`${days}*-${date(month)}-* ${time}`, `*-${date(month)}-${date(dom)} ${time}`]
  return [`${days}*-${date(month)}-${date(dom)} ${time}`]
}
