// The log budget a worker's options may set. Types only.

/**
 * How much of a worker's output its log files keep (each unit's stdout and stderr files alike):
 * each file up to `maxSize`, then renamed `.1` (the older ones `.2`, `.3`, … up to `keep`, the
 * oldest removed) without losing or cutting a line and without restarting the worker. `false`:
 * no bound (PM2's own writing). Holds on the PM2 daemons bun-pm starts (`start` when none runs,
 * every `dev` session). bun-pm's own: PM2 never sees it.
 * @default { maxSize: '10M', keep: 3 }
 */
export interface LogOptions {
  /** The size at which a file is rotated: bytes, or `'10M'`, `'512K'`, `'1G'`. */
  maxSize?: string | number
  /** How many rotated files to keep besides the current one (0: the current file only). */
  keep?: number
}
