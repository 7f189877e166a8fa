// Who is signed in. The token lives in memory and in this tab's sessionStorage (never
// localStorage, never a URL); closing the tab forgets it.
import { createContext, useContext } from "react";
import type { Abilities, Viewer } from "./lib/permissions";

const KEY = "reengage.console.token";
const NOTICE_KEY = "reengage.console.signed-out";
let memory: string | null = null;

export function storedToken(): string | null {
  if (memory) return memory;
  try {
    memory = sessionStorage.getItem(KEY);
  } catch {
    memory = null;
  }
  return memory;
}

export function storeToken(token: string): void {
  memory = token;
  try {
    sessionStorage.setItem(KEY, token);
    sessionStorage.removeItem(NOTICE_KEY);
  } catch {
    // private modes without storage: memory only
  }
}

/** Forget the token; `why` is shown on the sign-in page. */
export function forgetToken(why?: string): void {
  memory = null;
  try {
    sessionStorage.removeItem(KEY);
    if (why) sessionStorage.setItem(NOTICE_KEY, why);
  } catch {
    // nothing stored
  }
}

export function signedOutNotice(): string | null {
  try {
    return sessionStorage.getItem(NOTICE_KEY);
  } catch {
    return null;
  }
}

/** Seconds since the epoch at which the token expires, read from its claims (not verified:
 * the gateway verifies; this only returns to sign-in in time). */
export function expiryOf(token: string): number | null {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(payload)) as { exp?: unknown };
    return typeof claims.exp === "number" ? claims.exp : null;
  } catch {
    return null;
  }
}

export type Session = { token: string; viewer: Viewer; can: Abilities; signOut: (why?: string) => void };

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a signed-in page");
  return session;
}
