// Work done one piece at a time, in the order it came: PM2's events, where an `online` waits for
// its pid and the `exit` right behind it must not overtake it. No I/O of its own.

export interface Serial {
  /** Queues `work`; its failure goes to `onError` and the next piece still runs. */
  push: (work: () => unknown) => void
  /** Queues `work` and resolves (or rejects) with it. */
  run: <T>(work: () => T | Promise<T>) => Promise<T>
}

export function serial(onError: (error: unknown) => void): Serial {
  let tail: Promise<unknown> = Promise.resolve()
  const run = <T>(work: () => T | Promise<T>): Promise<T> => {
    const next = tail.then(work)
    tail = next.catch(() => {})
    return next
  }
  return {
    push: work => void run(work).catch(onError),
    run,
  }
}
