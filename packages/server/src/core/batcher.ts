/**
 * Natural batching: work handed in while `maxRunning` batches are already in the database waits,
 * and everything that waited goes together in the next batch (up to `maxBatch`). Nothing waits for
 * a timer: with nothing in flight an item goes out on the next turn of the event loop, alone; under
 * load the batches grow by themselves, so the cost of a round trip and a commit is shared by many.
 *
 * `run` answers with one result per item, in order. If it throws, every item of that batch gets
 * the error.
 */
export class Batcher<I, O> {
  private queue: { item: I; resolve: (o: O) => void; reject: (err: unknown) => void }[] = [];
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly options: { maxBatch: number; maxRunning: number; observe?: (size: number) => void },
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // One turn of the event loop: the requests parsed in the same turn go together.
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  /** Items waiting plus batches running: for metrics and tests. */
  get pending(): { waiting: number; running: number } {
    return { waiting: this.queue.length, running: this.running };
  }

  private pump(): void {
    while (this.running < this.options.maxRunning && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.running++;
      this.options.observe?.(batch.length);
      this.run(batch.map((b) => b.item))
        .then(
          (outs) => {
            if (outs.length !== batch.length)
              throw new Error(`a batch of ${batch.length} answered ${outs.length} results`);
            for (const [i, b] of batch.entries()) b.resolve(outs[i] as O);
          },
          (err) => {
            for (const b of batch) b.reject(err);
          },
        )
        .catch((err) => {
          for (const b of batch) b.reject(err);
        })
        .finally(() => {
          this.running--;
          this.pump();
        });
    }
  }
}
