import { useState, type FormEvent } from "react";
import { signedOutNotice, storeToken } from "../session";

const ROLES = [
  { value: "clinic_admin", label: "Clinic admin (view, edit, launch)" },
  { value: "manager", label: "Manager (view, edit)" },
  { value: "staff", label: "Staff (view only)" },
];

function devSignInOffered(): boolean {
  return document.querySelector('meta[name="dev-sign-in"]')?.getAttribute("content") === "on";
}

export function SignInPage({ onSignedIn }: { onSignedIn: (token: string) => void }) {
  const [clinic, setClinic] = useState("clinic-demo");
  const [role, setRole] = useState("clinic_admin");
  const [pasted, setPasted] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const notice = signedOutNotice();

  function accept(token: string) {
    storeToken(token);
    onSignedIn(token);
  }

  async function devSignIn(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    const answer = await fetch("/console/dev-sign-in", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ clinicId: clinic, role }),
    });
    if (!answer.ok) {
      setProblem(`The development sign-in refused (${answer.status}).`);
      return;
    }
    accept(((await answer.json()) as { token: string }).token);
  }

  function pastedSignIn(event: FormEvent) {
    event.preventDefault();
    const token = pasted.trim().replace(/^Bearer\s+/i, "");
    if (token.split(".").length !== 3) {
      setProblem("That does not look like a token: a token has three parts separated by dots.");
      return;
    }
    accept(token);
  }

  return (
    <main className="page sign-in" id="content">
      <h1>Sign in to the clinic console</h1>
      {notice && (
        <p className="notice notice-error" role="alert">
          {notice}
        </p>
      )}
      {problem && (
        <p className="notice notice-error" role="alert">
          {problem}
        </p>
      )}
      {devSignInOffered() && (
        <form onSubmit={devSignIn} className="card" aria-labelledby="dev-title">
          <h2 id="dev-title">Development sign-in</h2>
          <p className="hint">Mints the same token as <code>./dev token</code>. Only in development.</p>
          <label>
            Clinic
            <input value={clinic} onChange={(e) => setClinic(e.target.value)} required />
          </label>
          <label>
            Role
            <select value={role} onChange={(e) => setRole(e.target.value)}>
              {ROLES.map((r) => (
                <option key={r.value} value={r.value}>
                  {r.label}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" className="primary">
            Sign in as {role}
          </button>
        </form>
      )}
      <form onSubmit={pastedSignIn} className="card" aria-labelledby="token-title">
        <h2 id="token-title">Sign in with a token</h2>
        <p className="hint">Paste the token your clinic platform gave you. It is kept only in this tab.</p>
        <label>
          Access token
          <textarea value={pasted} onChange={(e) => setPasted(e.target.value)} rows={4} autoComplete="off" spellCheck={false} />
        </label>
        <button type="submit" className="primary">
          Sign in with token
        </button>
      </form>
    </main>
  );
}
