import type { FlowControl } from './schema';

/**
 * The flow-control key of a request: the one it names, or its target's origin
 * (`https://api.example.com`, `http://10.0.0.5:8080`), as `URL#origin` spells it, so the API and
 * the caller stage agree on it. An unparsable URL is its own key (such a request never gets a call).
 */
export function flowKeyOf(url: string, flowControl: FlowControl | undefined): string {
  if (flowControl?.key !== undefined) return flowControl.key;
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
