import { isDomainError, type DomainError } from "../../src/domain/errors.js";

/** Awaits a promise that must reject with a typed domain error and returns that error (anything else is rethrown). */
export async function rejection(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (e) {
    if (isDomainError(e)) return e;
    throw e;
  }
  throw new Error("expected rejection");
}
