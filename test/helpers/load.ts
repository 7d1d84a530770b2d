// Clients that request a port without pause, counting what fails: what a deploy must not drop.
export interface Load {
  stop: () => Promise<{ sent: number, failed: number, errors: string[] }>
}

/** `clients` loops of GET http://127.0.0.1:<port>/ (keep-alive, as browsers and proxies do), from now until `stop`. */
export function loadPort(port: number, clients = 8): Load {
  let running = true
  let sent = 0
  const errors: string[] = []
  const loop = async () => {
    while (running) {
      sent++
      try {
        const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) })
        await response.text()
        if (!response.ok)
          errors.push(`HTTP ${response.status}`)
      }
      catch (error) {
        errors.push((error as { code?: string }).code ?? (error as Error).message)
      }
    }
  }
  const loops = Array.from({ length: clients }, loop)
  return {
    async stop() {
      running = false
      await Promise.all(loops)
      return { sent, failed: errors.length, errors: [...new Set(errors)] }
    },
  }
}
