// The engines' own checks of what `export` writes: the Compose Specification's JSON schema, the
// Kubernetes API's schemas (kubernetes-models: its validators and, for unknown fields, its types
// through tsc), systemd's own `systemd-analyze verify`.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import Ajv, { type ValidateFunction } from 'ajv'
import { Deployment } from 'kubernetes-models/apps/v1'
import { Job } from 'kubernetes-models/batch/v1'
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1'
import { parse, parseAllDocuments } from 'yaml'

/** Errors of a compose.yaml against the Compose Specification's schema (as dclint ships it, fetched from compose-spec/compose-spec). */
export function composeErrors(text: string): string[] {
  const validate = composeValidator ??= compileComposeSchema()
  if (validate(parse(text)))
    return []
  return (validate.errors ?? []).map(e => `${e.instancePath} ${e.message}${e.params && 'additionalProperty' in e.params ? `: ${e.params.additionalProperty}` : ''}`)
}

/** Compiled once per test file: compiling the schema is most of a check's time. */
let composeValidator: ValidateFunction | undefined
function compileComposeSchema(): ValidateFunction {
  const schema = JSON.parse(readFileSync(join(dirname(require.resolve('dclint/package.json')), 'schemas/compose.schema.json'), 'utf8'))
  // Ajv knows draft-07 by its canonical id, not this spelling of it.
  delete schema.$schema
  const ajv = new Ajv({ allErrors: true, strict: false })
  for (const format of ['duration', 'expose', 'ports', 'subnet_ip_address'])
    ajv.addFormat(format, true)
  return ajv.compile(schema)
}

const KINDS: Record<string, [new (value: any) => { validate: () => void }, string, string]> = {
  'apps/v1/Deployment': [Deployment, 'kubernetes-models/apps/v1', 'IDeployment'],
  'batch/v1/Job': [Job, 'kubernetes-models/batch/v1', 'IJob'],
  'v1/Service': [Service, 'kubernetes-models/v1', 'IService'],
  'v1/ConfigMap': [ConfigMap, 'kubernetes-models/v1', 'IConfigMap'],
  'v1/Secret': [Secret, 'kubernetes-models/v1', 'ISecret'],
}

/**
 * Errors of Kubernetes manifests: kubernetes-models' validators (types, required fields, enums,
 * quantities), then tsc against its types for what they let through (unknown, misspelt fields).
 */
export function kubernetesErrors(text: string): string[] {
  const errors: string[] = []
  const docs = parseAllDocuments(text).map(doc => doc.toJS())
  const source: string[] = []
  const ranges: [number, number, string][] = []
  docs.forEach((doc, i) => {
    const where = `#${i} ${doc?.kind}/${doc?.metadata?.name}`
    const kind = KINDS[`${doc?.apiVersion}/${doc?.kind}`]
    if (!kind)
      return void errors.push(`${where}: not a kind this check knows`)
    try {
      new kind[0](doc).validate()
    }
    catch (error) {
      errors.push(`${where}: ${(error as Error).message}`)
    }
    const body = `export const r${i}: import('${kind[1]}').${kind[2]} = ${JSON.stringify(doc, null, 1)}`.split('\n')
    ranges.push([source.length + 1, source.length + body.length, where])
    source.push(...body)
  })
  const dir = mkdtempSync(join(tmpdir(), 'bun-pm-k8s-check-'))
  try {
    const models = dirname(require.resolve('kubernetes-models/package.json'))
    writeFileSync(join(dir, 'check.ts'), `${source.join('\n')}\n`)
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, module: 'preserve', moduleResolution: 'bundler', types: [], skipLibCheck: true, paths: { 'kubernetes-models/*': [join(models, '*')], '@kubernetes-models/*': [join(models, '..', '@kubernetes-models', '*')] } },
      files: ['check.ts'],
    }))
    const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc')
    const result = spawnSync('node', [tsc, '-p', dir, '--pretty', 'false'], { encoding: 'utf8' })
    for (const line of `${result.stdout}${result.stderr}`.split('\n').filter(Boolean)) {
      const match = /check\.ts\((\d+),\d+\): error (TS\d+: .*)$/.exec(line)
      const range = match && ranges.find(([from, to]) => Number(match[1]) >= from && Number(match[1]) <= to)
      errors.push(range ? `${range[2]}: ${match![2]}` : line)
    }
  }
  finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return errors
}

/** `systemd-analyze verify` of unit files: its complaints (it warns on stderr with exit 0 for many), or undefined without systemd-analyze. */
export function systemdErrors(files: string[]): string[] | undefined {
  const result = spawnSync('systemd-analyze', ['verify', '--man=no', ...files], { encoding: 'utf8' })
  if (result.error)
    return undefined
  const said = `${result.stdout}${result.stderr}`.split('\n').filter(Boolean)
  return result.status === 0 && said.length === 0 ? [] : said.length > 0 ? said : [`exit ${result.status}`]
}
