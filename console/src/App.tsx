import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from "react";
import { NavLink, Navigate, Route, Routes, useNavigate } from "react-router-dom";
import { Provider, useQuery } from "urql";
import { makeClient } from "./client";
import { graphql } from "./gql";
import { abilitiesOf } from "./lib/permissions";
import { CampaignsPage } from "./pages/Campaigns";
import { SignInPage } from "./pages/SignIn";
import { expiryOf, forgetToken, SessionContext, storedToken, type Session } from "./session";

// Pages past the first are loaded when first opened (the dashboard brings the chart library).
const EditorPage = lazy(() => import("./pages/Editor"));
const DashboardPage = lazy(() => import("./pages/Dashboard"));
const RecipientsPage = lazy(() => import("./pages/Recipients"));
const SettingsPage = lazy(() => import("./pages/Settings"));
const ImportPage = lazy(() => import("./pages/Import"));
const AudiencesPage = lazy(() => import("./pages/Audiences"));
const ReportsPage = lazy(() => import("./pages/Reports"));
const WebhooksPage = lazy(() => import("./pages/Webhooks"));
const InboxPage = lazy(() => import("./pages/Inbox"));

const Me = graphql(`
  query Me {
    me {
      userId
      clinicId
      role
      permissions
    }
  }
`);

export function App() {
  const [token, setToken] = useState(storedToken);
  const navigate = useNavigate();
  const signOut = useCallback(
    (why?: string) => {
      forgetToken(why);
      setToken(null);
      navigate("/sign-in");
    },
    [navigate],
  );
  const client = useMemo(() => (token ? makeClient(token, signOut) : null), [token, signOut]);

  useEffect(() => {
    // an expired token returns to sign-in when it expires, not on the next refused call
    const exp = token ? expiryOf(token) : null;
    if (!exp) return;
    const left = exp * 1000 - Date.now();
    const timer = setTimeout(() => signOut("Your sign-in expired. Sign in again."), Math.max(left, 0));
    return () => clearTimeout(timer);
  }, [token, signOut]);

  if (!token || !client) {
    return (
      <Routes>
        <Route path="/sign-in" element={<SignInPage onSignedIn={(t) => { setToken(t); navigate("/"); }} />} />
        <Route path="*" element={<Navigate to="/sign-in" replace />} />
      </Routes>
    );
  }
  return (
    <Provider value={client}>
      <SignedIn token={token} signOut={signOut} />
    </Provider>
  );
}

function SignedIn({ token, signOut }: { token: string; signOut: (why?: string) => void }) {
  const [me] = useQuery({ query: Me, requestPolicy: "network-only" });
  const viewer = me.data?.me;
  useEffect(() => {
    if (!me.fetching && me.data && !viewer) signOut("The gateway did not accept that token. Sign in again.");
  }, [me.fetching, me.data, viewer, signOut]);
  const session: Session | null = useMemo(
    () => (viewer ? { token, viewer, can: abilitiesOf(viewer), signOut } : null),
    [token, viewer, signOut],
  );
  if (me.error && !viewer) {
    return (
      <main className="page">
        <p role="alert">The console cannot reach the gateway: {me.error.message}</p>
      </main>
    );
  }
  if (!session) return <p className="loading">Signing in…</p>;
  return (
    <SessionContext.Provider value={session}>
      <Layout session={session}>
        <Suspense fallback={<p className="loading">Loading…</p>}>
          <Routes>
            <Route path="/" element={<CampaignsPage />} />
            <Route path="/campaigns/new" element={<EditorPage />} />
            <Route path="/campaigns/:id/edit" element={<EditorPage />} />
            <Route path="/campaigns/:id" element={<DashboardPage />} />
            <Route path="/campaigns/:id/recipients" element={<RecipientsPage />} />
            <Route path="/audiences" element={<AudiencesPage />} />
            <Route path="/reports" element={<ReportsPage />} />
            <Route path="/webhooks" element={<WebhooksPage />} />
            <Route path="/inbox" element={<InboxPage />} />
            <Route path="/settings" element={<SettingsPage />} />
            <Route path="/import" element={<ImportPage />} />
            <Route path="/sign-in" element={<Navigate to="/" replace />} />
            <Route path="*" element={<main className="page"><h1>Not found</h1><p>No such page.</p></main>} />
          </Routes>
        </Suspense>
      </Layout>
    </SessionContext.Provider>
  );
}

function Layout({ session, children }: { session: Session; children: React.ReactNode }) {
  const { viewer, can } = session;
  return (
    <>
      <a className="skip" href="#content">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Re-engage</span>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Campaigns
          </NavLink>
          <NavLink to="/inbox">Inbox</NavLink>
          <NavLink to="/audiences">Audiences</NavLink>
          <NavLink to="/reports">Reports</NavLink>
          <NavLink to="/webhooks">Webhooks</NavLink>
          <NavLink to="/settings">Clinic settings</NavLink>
          {can.manage && <NavLink to="/import">Import patients</NavLink>}
        </nav>
        <div className="who" aria-label="Signed in as">
          <span data-testid="me">
            {viewer.userId} · <strong>{viewer.role}</strong> at <strong>{viewer.clinicId}</strong>
          </span>
          <span className="perms" title={viewer.permissions.join(", ")}>
            {can.launch ? "can view, edit and launch" : can.manage ? "can view and edit" : can.view ? "view only" : "no access"}
          </span>
          <button type="button" onClick={() => session.signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <div id="content">{children}</div>
    </>
  );
}
