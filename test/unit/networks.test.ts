import { describe, expect, test } from 'bun:test'
import { parse } from 'yaml'
import { renderCompose } from '../../src/export/compose.ts'
import { renderKubernetes } from '../../src/export/kubernetes.ts'
import { toExportModel } from '../../src/export/model.ts'
import { loadedWorker, loadedWorkspace } from '../helpers/loaded.ts'
import type { LoadedWorker } from '../../src/config/load.ts'
import { composeErrors } from '../helpers/validators.ts'

const FACTS = { bunVersion: '1.4.5', nodeMajor: 20, fileEnv: { REDIS_PASSWORD: 'hunter2-pw' } }

function worker(name: string, over: Partial<LoadedWorker> = {}, env: Record<string, string> = {}): LoadedWorker {
  return loadedWorker(name, over, Object.fromEntries(Object.entries(env).map(([key, value]) => [key, { value, source: 'options.env' as const }])))
}

const workspace = (workers: LoadedWorker[]) => loadedWorkspace(workers)
const modelOf = (...workers: LoadedWorker[]) => toExportModel(workspace(workers), workers, FACTS)
const services = (content: string) => (parse(content) as { services: Record<string, { ports?: string[], expose?: string[] }> }).services

describe('compose: which ports are published, and where', () => {
  const web = worker('web', { heartbeat: 'http://127.0.0.1:3000/health' })
  const redis = worker('redis', { heartbeat: 'tcp://127.0.0.1:6380' })
  const plain = worker('api', {}, { PORT: '4000' })
  const pub = worker('admin', { heartbeat: 'http://127.0.0.1:5000/health', publish: ['0.0.0.0:8080', '[::1]:5000'] })
  const hidden = worker('internal', { heartbeat: 'http://127.0.0.1:7000/health', publish: false })
  const declared = worker('metrics', { publish: 9100 })
  const replicated = worker('many', { heartbeat: 'http://127.0.0.1:6000/health', replicas: 3 })

  test('an http heartbeat on 127.0.0.1 of the host; a declared publish as written; the rest only to the other services', () => {
    const result = renderCompose(modelOf(web, redis, plain, pub, hidden, declared, replicated), { image: 'shop:1' })
    const content = result.files[0]!.content
    expect(composeErrors(content)).toEqual([])
    const s = services(content)
    expect(s.web).toMatchObject({ ports: ['127.0.0.1:3000:3000'] })
    expect(s.redis).toMatchObject({ expose: ['6380'] })
    expect(s.redis!.ports).toBeUndefined()
    expect(s.api!.ports).toBeUndefined()
    expect(s.api).toMatchObject({ expose: ['4000'] })
    expect(s.admin).toMatchObject({ ports: ['0.0.0.0:8080:5000', '[::1]:5000:5000'] })
    expect(s.internal!.ports).toBeUndefined()
    expect(s.metrics).toMatchObject({ ports: ['9100:9100'] })
    expect(s.many!.ports).toBeUndefined()
    expect(s.many).toMatchObject({ expose: ['6000'] })
    expect(result.notes).toContain('many: its 3 replicas cannot all take host port 6000, so it is not published (other services reach it as many:6000); put a proxy service in front to serve the host')
    expect(result.notes.filter(n => n.includes('publish'))).toHaveLength(1)
  // Compiling the Compose schema takes seconds on a loaded machine.
  }, 30_000)
})

describe('loopback addresses carried into containers', () => {
  const redis = worker('redis', { heartbeat: 'tcp://127.0.0.1:6380', options: { args: ['--port', '6380', '--bind', '127.0.0.1'] } })
  const web = worker('web', { heartbeat: 'http://127.0.0.1:3000/health', dependsOn: ['redis'] }, { REDIS_URL: 'redis://127.0.0.1:6380', PUBLIC_URL: 'http://localhost:3000', HOST: '127.0.0.1', LOG_LEVEL: 'info' })
  const secretUrl = worker('jobs', {}, { QUEUE_URL: 'redis://:hunter2-pw@localhost:6380/1', UPSTREAM: 'http://127.0.0.1:9999' })

  test('compose: a variable that connects to 127.0.0.1 names the service to use; one that binds says what it cuts off; no secret is printed', () => {
    const { notes } = renderCompose(modelOf(redis, web, secretUrl), { image: 'shop:1' })
    expect(notes).toContain('web: REDIS_URL points at 127.0.0.1:6380, which in a container is the container itself: it will not reach redis; use the service name (redis:6380), e.g. in $production')
    expect(notes).toContain('web: HOST makes it listen on 127.0.0.1, which in a container takes no connection from outside it: not from the other services, not through a published port; listen on 0.0.0.0 there, e.g. in $production')
    expect(notes).toContain('redis: `--bind 127.0.0.1` in its args makes it listen on 127.0.0.1, which in a container takes no connection from outside it: not from the other services, not through a published port; listen on 0.0.0.0 there, e.g. in $production')
    expect(notes).toContain('jobs: QUEUE_URL points at localhost:6380, which in a container is the container itself: it will not reach redis; use the service name (redis:6380), e.g. in $production')
    expect(notes).toContain('jobs: UPSTREAM points at 127.0.0.1:9999, which in a container is the container itself: it will not reach another service; use the service name, e.g. in $production')
    // Its own port on loopback is itself: fine in a container.
    expect(notes.some(n => n.includes('PUBLIC_URL'))).toBe(false)
    expect(notes.join('\n')).not.toContain('hunter2')
  })

  test('kubernetes: a server on 127.0.0.1 fails the kubelet\'s probes; heartbeats on loopback are said once; publish does not carry', () => {
    const admin = worker('admin', { heartbeat: 'http://localhost:5000/health', publish: ['0.0.0.0:8080'] })
    const result = renderKubernetes(modelOf(redis, web, admin), { image: 'shop:1' })
    expect(result.notes).toContain('web: HOST makes it listen on 127.0.0.1, which in a container takes no connection from outside it: not from the other services, not through a published port, nor the kubelet\'s probes (they connect to the pod\'s IP, so they fail and the pod is restarted over and over); listen on 0.0.0.0 there, e.g. in $production')
    expect(result.notes).toContain('the probes of redis, web, admin connect to the pod\'s IP, not to 127.0.0.1 as the heartbeat does: the server must listen on every address (0.0.0.0, Bun.serve\'s and node\'s default), else the pod is never ready and is restarted over and over')
    expect(result.notes).toContain('admin: publish 0.0.0.0:8080 is for Compose; here its Service is reachable inside the cluster only (ClusterIP): expose it with an Ingress or a LoadBalancer Service of yours')
    // Only workers with a port get a Service; probes keep their path and port.
    const services = [...result.files[0]!.content.matchAll(/kind: Service\nmetadata:\n {2}name: (\S+)/g)].map(m => m[1])
    expect(services).toEqual(['redis', 'web', 'admin'])
    expect(result.files[0]!.content).toContain('httpGet:\n              path: /health\n              port: 3000')
  })

  test('a workspace with no loopback in its values says nothing of it', () => {
    const clean = worker('web', { heartbeat: '5s' }, { REDIS_URL: 'redis://redis:6380', HOST: '0.0.0.0' })
    expect(renderCompose(modelOf(clean), { image: 'x' }).notes.filter(n => /127|localhost|listen/.test(n))).toEqual([])
  })
})
