// URLs as they may be recorded (manifests, sidecars, results) or printed: no credentials.

/** Strip anything that looks like `user:pass@` from a string that failed to parse as a URL. */
export function redactUrlText(text: string): string {
  return text.replace(/\/\/[^/?#@\s]*@/, "//***@");
}

/**
 * A URL as it may be recorded or shown: userinfo (`user:password@`) becomes `***@` and every query value
 * becomes `***` (keys stay: `?api-key=***`), since Azure-style endpoints carry the key in the query.
 */
export function redactUrl(url: string | URL): string {
  // Textual, so a URL without secrets is shown exactly as given (no added "/" or re-encoding).
  return redactUrlText(url.toString()).replace(/([?&][^=&#\s]*=)[^&#\s]*/g, "$1***");
}

/** `text` with every http(s) URL in it redacted as `redactUrl` does (for command lines and messages). */
export function redactUrlsIn(text: string): string {
  if (!text.includes("://")) return text;
  return text.replace(/\bhttps?:\/\/[^\s"'<>]+/gi, (m) => redactUrl(m));
}

/** The secret parts of a URL: userinfo and query values (what `redactUrl` hides). */
export function urlSecrets(url: URL): string[] {
  const out = [url.username, url.password];
  for (const [, value] of url.searchParams) out.push(value, encodeURIComponent(value));
  return [...new Set(out.filter((s) => s.length >= 3))].sort((a, b) => b.length - a.length);
}

/** `text` with each of `secrets` replaced by `***` (a server may echo the request URL in its answer). */
export function hideSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join("***");
  return out;
}
