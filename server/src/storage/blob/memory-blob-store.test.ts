import { runBlobStoreConformance } from "./blob-store-conformance.js";
import { createMemoryBlobStore } from "./memory-blob-store.js";

runBlobStoreConformance(
  "memory",
  async () => ({ store: createMemoryBlobStore(), cleanup: async () => undefined }),
  { boundedMemory: false },
).run();
