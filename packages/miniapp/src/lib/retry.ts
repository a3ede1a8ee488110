/** Retries a dynamic import: on flaky mobile networks (or mid-deploy) a chunk may fail once. */
export async function retryImport<T>(load: () => Promise<T>, attempts = 4, delayMs = 400): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await load();
    } catch (e) {
      if (i >= attempts) throw e;
      await new Promise((r) => setTimeout(r, delayMs * i * i));
    }
  }
}
