// Files the gateway answers (CSV, PDF) downloaded with the session's token in the header,
// never in a URL: fetched, then saved from a blob under the name the gateway gives.

/** The file's name from Content-Disposition, else `fallback`. */
export function fileNameOf(disposition: string | null, fallback: string): string {
  return /filename="([^"]+)"/.exec(disposition ?? "")?.[1] ?? fallback;
}

/** Download `path`; null when saved, else the gateway's reason. */
export async function download(path: string, token: string, fallback: string): Promise<string | null> {
  const answer = await fetch(path, { headers: { Authorization: `Bearer ${token}` } });
  if (!answer.ok) {
    const body = (await answer.json().catch(() => null)) as { error?: { message?: string } } | null;
    return body?.error?.message ?? `the gateway answered ${answer.status}`;
  }
  const blob = await answer.blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = fileNameOf(answer.headers.get("content-disposition"), fallback);
  link.click();
  URL.revokeObjectURL(link.href);
  return null;
}
