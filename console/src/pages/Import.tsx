import { useState } from "react";
import { count } from "../lib/format";
import { useSession } from "../session";

type Report = { imported: number; rejectedCount: number; rejected: { line: number; reason: string }[]; moreRejected: number };

/** Upload over XMLHttpRequest: fetch reports no upload progress. */
function upload(file: File, token: string, onProgress: (share: number) => void): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", "/api/booking/patients/import");
    request.setRequestHeader("authorization", `Bearer ${token}`);
    const jsonLines = /\.(jsonl|ndjson|json)$/i.test(file.name);
    request.setRequestHeader("content-type", jsonLines ? "application/x-ndjson" : "text/csv");
    request.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    request.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(request.responseText);
      } catch {
        body = request.responseText;
      }
      resolve({ status: request.status, body });
    };
    request.onerror = () => reject(new Error("the upload did not reach the gateway"));
    request.send(file);
  });
}

export default function ImportPage() {
  const { token, can } = useSession();
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [report, setReport] = useState<Report | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  async function send(event: React.FormEvent) {
    event.preventDefault();
    if (!file) return;
    setReport(null);
    setProblem(null);
    setProgress(0);
    try {
      const answer = await upload(file, token, setProgress);
      setProgress(1);
      if (answer.status === 200) setReport(answer.body as Report);
      else {
        const body = answer.body as { error?: { message?: string; fields?: { message: string }[] }; message?: string } | null;
        const detail = body?.error?.fields?.map((f) => f.message).join("; ") || body?.error?.message || body?.message || `HTTP ${answer.status}`;
        setProblem(`The file was not imported: ${detail}`);
      }
    } catch (error) {
      setProblem(`The file was not imported: ${(error as Error).message}`);
    }
  }

  if (!can.manage)
    return (
      <main className="page">
        <h1>Import patients</h1>
        <p>Importing patients needs permission to manage campaigns.</p>
      </main>
    );
  return (
    <main className="page">
      <h1>Import patients</h1>
      <p className="hint">
        A CSV file with a header row (patientId, firstName, lastName, email, phone, consents.sms, treatmentStage, createdAt, …) or
        JSON lines, one patient per line, at most 50 MB.
      </p>
      <form onSubmit={send} className="card" aria-label="Import patients">
        <label>
          Patients file
          <input type="file" accept=".csv,.jsonl,.ndjson,.json,text/csv" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
        <button type="submit" className="primary" disabled={!file}>
          Upload
        </button>
        {progress !== null && (
          <label>
            Upload progress
            <progress value={progress} max={1} />
          </label>
        )}
      </form>
      {problem && (
        <p className="notice notice-error" role="alert">
          {problem}
        </p>
      )}
      {report && (
        <section aria-labelledby="report-title" className="card">
          <h2 id="report-title">Imported</h2>
          <p data-testid="import-accepted">
            {count(report.imported)} patients accepted, {count(report.rejectedCount)} lines rejected.
          </p>
          {report.rejected.length > 0 && (
            <table className="table" aria-label="Rejected lines">
              <thead>
                <tr>
                  <th scope="col" className="num">Line</th>
                  <th scope="col">Why</th>
                </tr>
              </thead>
              <tbody>
                {report.rejected.map((r) => (
                  <tr key={r.line}>
                    <td className="num">{r.line}</td>
                    <td>{r.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {report.moreRejected > 0 && <p className="muted">and {count(report.moreRejected)} more rejected lines.</p>}
        </section>
      )}
    </main>
  );
}
