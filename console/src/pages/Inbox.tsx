// The front desk's inbox: patients' SMS replies as conversations, live (unread first in the eye,
// "wants to book" marked, the campaign each answered), assignment, and replies sent through
// the clinic's number (refused, with the reason, after a STOP or outside the sending hours).
import { useCallback, useEffect, useRef, useState } from "react";
import { Link } from "react-router-dom";
import { useMutation, useQuery, useSubscription } from "urql";
import { ErrorNotice } from "../components/Notice";
import { graphql } from "../gql";
import { fieldErrorText } from "../lib/errorCodes";
import { dateTime } from "../lib/format";
import { useSession } from "../session";

const Conversations = graphql(`
  query Inbox {
    inbox {
      patientId
      unread
      assignee
      interested
      stopped
      campaign { id name }
      lastMessage { body at direction }
    }
  }
`);
const OneConversation = graphql(`
  query Conversation($patientId: ID!) {
    conversation(patientId: $patientId) {
      patientId
      assignee
      stopped
      interested
      campaign { id name }
      messages { id direction body at meaning author status reason }
    }
  }
`);
const MarkRead = graphql(`
  mutation MarkConversationRead($patientId: ID!) {
    markConversationRead(patientId: $patientId) { __typename }
  }
`);
const Assign = graphql(`
  mutation AssignConversation($patientId: ID!, $assignee: String) {
    assignConversation(patientId: $patientId, assignee: $assignee) { __typename }
  }
`);
const Reply = graphql(`
  mutation ReplyToPatient($patientId: ID!, $text: String!, $replyId: String) {
    replyToPatient(patientId: $patientId, text: $text, replyId: $replyId) {
      __typename
      ... on InboxMessage { id status reason }
      ... on ValidationError { message fields { field message code } }
      ... on NotAllowed { message }
      ... on NotFound { message }
    }
  }
`);
const FOLLOW_UPS_MS = [1000, 3000];
const Replies = graphql(`
  subscription InboxReplies {
    inboxReplies { patientId at }
  }
`);

export default function InboxPage() {
  const [list, refresh] = useQuery({ query: Conversations, requestPolicy: "cache-and-network" });
  const [open, setOpen] = useState<string | null>(null);
  const reload = useCallback(() => refresh({ requestPolicy: "network-only" }), [refresh]);
  // each new reply (the inboxReplies subscription, from Kafka) brings the list up to date: at
  // once and twice more, since the gateway reads the event when dispatch-svc does and may ask
  // before dispatch-svc stored it
  const [live] = useSubscription({ query: Replies });
  const latest = live.data?.inboxReplies;
  useEffect(() => {
    if (!latest) return;
    reload();
    const timers = FOLLOW_UPS_MS.map((ms) => setTimeout(reload, ms));
    return () => timers.forEach(clearTimeout);
  }, [latest, reload]);
  const conversations = list.data?.inbox ?? [];
  const unread = conversations.reduce((sum, c) => sum + c.unread, 0);
  return (
    <main className="page">
      <h1>Inbox {unread > 0 && <span className="status status-active" data-testid="unread-total">{unread} unread</span>}</h1>
      {list.error && <ErrorNotice>The inbox could not be loaded: {list.error.message}</ErrorNotice>}
      <div className="editor">
        <table className="table" aria-label="Conversations">
          <thead>
            <tr>
              <th scope="col">Patient</th>
              <th scope="col">Last message</th>
              <th scope="col">Campaign</th>
            </tr>
          </thead>
          <tbody>
            {conversations.map((c) => (
              <tr key={c.patientId} data-testid="conversation" className={c.unread ? "unread" : undefined}>
                <td>
                  <button type="button" className="small" onClick={() => setOpen(c.patientId)} aria-label={`Open ${c.patientId}`}>
                    Open
                  </button>{" "}
                  <strong>{c.patientId}</strong>
                  {c.unread > 0 && <span className="status status-active"> {c.unread} new</span>}
                  {c.interested && <span className="status status-scheduled"> wants to book</span>}
                  {c.stopped && <span className="status status-cancelled"> opted out</span>}
                  <div className="muted">{c.assignee ? `assigned to ${c.assignee}` : "unassigned"}</div>
                </td>
                <td>
                  {c.lastMessage?.direction === "OUTBOUND" ? "You: " : ""}
                  {c.lastMessage?.body}
                  <div className="muted">{dateTime(c.lastMessage?.at)}</div>
                </td>
                <td>{c.campaign ? <Link to={`/campaigns/${c.campaign.id}`}>{c.campaign.name}</Link> : "—"}</td>
              </tr>
            ))}
            {!conversations.length && !list.fetching && (
              <tr>
                <td colSpan={3} className="muted">No replies yet.</td>
              </tr>
            )}
          </tbody>
        </table>
        {open && <ConversationPanel key={open} patientId={open} onChanged={reload} />}
      </div>
    </main>
  );
}

function ConversationPanel({ patientId, onChanged }: { patientId: string; onChanged: () => void }) {
  const { can, viewer } = useSession();
  const [result, refresh] = useQuery({ query: OneConversation, variables: { patientId }, requestPolicy: "network-only" });
  const [, markRead] = useMutation(MarkRead);
  const [, assign] = useMutation(Assign);
  const [, reply] = useMutation(Reply);
  const [text, setText] = useState("");
  const [replyId, setReplyId] = useState(() => crypto.randomUUID());
  const [problem, setProblem] = useState<string | null>(null);
  const conversation = result.data?.conversation;
  // opening a conversation reads it: once per conversation opened (the panel is keyed by it)
  const changed = useRef(onChanged);
  changed.current = onChanged;
  useEffect(() => {
    if (can.manage) void markRead({ patientId }).then(() => changed.current());
  }, [patientId, markRead, can.manage]);

  async function send() {
    setProblem(null);
    const answer = await reply({ patientId, text, replyId });
    const sent = answer.data?.replyToPatient;
    if (sent?.__typename === "InboxMessage") {
      if (sent.status === "FAILED") setProblem(`The SMS provider refused it: ${sent.reason ?? "no reason given"}`);
      setText("");
      setReplyId(crypto.randomUUID());
    } else if (sent?.__typename === "ValidationError") setProblem(sent.fields.map((f) => fieldErrorText(f)).join(" "));
    else setProblem(sent && "message" in sent ? sent.message : (answer.error?.message ?? "not sent"));
    refresh({ requestPolicy: "network-only" });
    onChanged();
  }

  if (!conversation) return <section className="card" aria-label="Conversation"><p className="loading">Loading…</p></section>;
  return (
    <section className="card sticky" aria-label="Conversation">
      <div className="title-row">
        <h2>{patientId}</h2>
        {can.manage && (
          <button
            type="button"
            className="small"
            onClick={async () => {
              await assign({ patientId, assignee: conversation.assignee === viewer.userId ? null : viewer.userId });
              refresh({ requestPolicy: "network-only" });
              onChanged();
            }}
          >
            {conversation.assignee === viewer.userId ? "Unassign me" : "Assign to me"}
          </button>
        )}
      </div>
      <p className="muted" data-testid="conversation-meta">
        {conversation.assignee ? `Assigned to ${conversation.assignee}` : "Unassigned"}
        {conversation.campaign && <> · answered “{conversation.campaign.name}”</>}
      </p>
      <ol className="thread" aria-label="Messages">
        {conversation.messages.map((m) => (
          <li key={m.id} className={m.direction === "INBOUND" ? "from-patient" : "from-clinic"} data-testid="thread-message">
            <div>{m.body}</div>
            <div className="muted">
              {m.direction === "INBOUND" ? `patient · ${(m.meaning ?? "").toLowerCase().replace("_", " ")}` : `${m.author ?? "staff"} · ${(m.status ?? "").toLowerCase()}`} · {dateTime(m.at)}
            </div>
          </li>
        ))}
      </ol>
      {conversation.stopped ? (
        <p className="notice notice-warn" role="status">
          This patient replied STOP: no message can be sent to them.
        </p>
      ) : (
        can.manage && (
          <form
            aria-label="Reply"
            onSubmit={(ev) => {
              ev.preventDefault();
              void send();
            }}
          >
            <label>
              Reply by SMS
              <textarea rows={3} value={text} onChange={(ev) => setText(ev.target.value)} maxLength={1600} />
            </label>
            {problem && (
              <p className="field-error" role="alert">
                {problem}
              </p>
            )}
            <div className="actions">
              <button type="submit" className="primary" disabled={!text.trim()}>
                Send reply
              </button>
            </div>
          </form>
        )
      )}
    </section>
  );
}
