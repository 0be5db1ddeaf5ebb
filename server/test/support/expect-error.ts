import { ConnectError } from "@connectrpc/connect";

/** Awaits a call that must fail and returns its error as a ConnectError (throws if it succeeded). */
export async function expectError(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected the call to fail");
}
