// The frames PM2's daemon speaks on rpc.sock, as pm2-axon writes them: amp framing (a byte of
// version and argument count, then each argument as a 4-byte big-endian length and its bytes),
// each argument packed by amp-message (`s:` a string, `j:` JSON, else raw bytes). Pure: no socket.

const VERSION = 1

/** One argument as amp-message packs it. */
export function pack(arg: unknown): Buffer {
  if (Buffer.isBuffer(arg))
    return arg
  if (typeof arg === 'string')
    return Buffer.from(`s:${arg}`)
  return Buffer.from(`j:${JSON.stringify(arg === undefined ? null : arg)}`)
}

/** One argument as amp-message unpacks it. */
export function unpack(arg: Buffer): unknown {
  const kind = arg.length >= 2 && arg[1] === 0x3A ? arg[0] : undefined
  if (kind === 0x6A)
    return JSON.parse(arg.subarray(2).toString('utf8'))
  if (kind === 0x73)
    return arg.subarray(2).toString('utf8')
  return arg
}

/** A message of `args` (at most 15), framed. */
export function encodeFrame(args: unknown[]): Buffer {
  const packed = args.map(pack)
  const frame = Buffer.alloc(1 + packed.reduce((sum, arg) => sum + 4 + arg.length, 0))
  frame[0] = (VERSION << 4) | packed.length
  let at = 1
  for (const arg of packed) {
    frame.writeUInt32BE(arg.length, at)
    arg.copy(frame, at + 4)
    at += 4 + arg.length
  }
  return frame
}

/**
 * Frames out of a byte stream, however it is cut: `push` a chunk, get the messages it completed
 * (their arguments unpacked). Chunks wait in a list until the bytes the next frame needs at least
 * are there, so an answer of many chunks is copied a few times, not once per chunk.
 */
export class FrameReader {
  private chunks: Buffer[] = []
  private length = 0
  /** The fewest bytes the next frame can be complete in, as far as its header is known. */
  private needs = 1

  push(chunk: Uint8Array): unknown[][] {
    // A copy: a socket may reuse the memory of the chunk it handed over.
    this.chunks.push(Buffer.from(chunk))
    this.length += chunk.length
    if (this.length < this.needs)
      return []
    let bytes = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks)
    const messages: unknown[][] = []
    for (;;) {
      const frame = readFrame(bytes)
      if ('needs' in frame) {
        this.needs = frame.needs
        break
      }
      messages.push(frame.args)
      bytes = bytes.subarray(frame.end)
    }
    this.chunks = bytes.length ? [bytes] : []
    this.length = bytes.length
    return messages
  }
}

/** The frame at the start of `bytes`, its arguments unpacked and where it ends; while it is incomplete, the fewest bytes it needs. */
function readFrame(bytes: Buffer): { args: unknown[], end: number } | { needs: number } {
  if (bytes.length === 0)
    return { needs: 1 }
  const parts: Buffer[] = []
  let at = 1
  for (let i = 0; i < (bytes[0]! & 0xF); i++) {
    if (bytes.length < at + 4)
      return { needs: at + 4 }
    const end = at + 4 + bytes.readUInt32BE(at)
    if (end > bytes.length)
      return { needs: end }
    parts.push(bytes.subarray(at + 4, end))
    at = end
  }
  return { args: parts.map(unpack), end: at }
}
