// Outbound webhooks: the clinic's https endpoints for chosen events, each with its last
// attempts and failures; a new endpoint's signing secret is shown once, with how to verify.
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { ErrorNotice } from "../components/Notice";
import { graphql } from "../gql";
import type { WebhookEvent } from "../gql/graphql";
import { errorsByField, fieldErrorText, type FieldError } from "../lib/errorCodes";
import { dateTime, plural } from "../lib/format";
import { endpointHealth, WEBHOOK_EVENTS } from "../lib/webhooks";
import { useSession } from "../session";

const List = graphql(`
  query WebhookEndpoints {
    webhookEndpoints {
      id
      url
      events
      description
      enabled
      secretHint
      lastAttempt { outcome statusCode error at nextAt }
    }
  }
`);
const Attempts = graphql(`
  query WebhookAttempts($id: ID!) {
    webhookEndpoint(id: $id) {
      id
      pendingDeliveries
      recentAttempts { deliveryId eventType attempt at statusCode error durationMs outcome nextAt }
    }
  }
`);
const Create = graphql(`
  mutation CreateWebhookEndpoint($input: WebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      __typename
      ... on CreatedWebhookEndpoint { secret endpoint { id url } }
      ... on ValidationError { message fields { field message code } }
    }
  }
`);
const Test = graphql(`
  mutation SendTestWebhook($id: ID!) {
    sendTestWebhook(id: $id) { __typename ... on TestWebhookSent { deliveryId } ... on NotFound { message } }
  }
`);
const Delete = graphql(`
  mutation DeleteWebhookEndpoint($id: ID!) {
    deleteWebhookEndpoint(id: $id) { __typename ... on DeletedWebhookEndpoint { id } ... on NotFound { message } }
  }
`);

export default function WebhooksPage() {
  const { can } = useSession();
  const [list, refresh] = useQuery({ query: List, requestPolicy: "cache-and-network" });
  const [open, setOpen] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [, test] = useMutation(Test);
  const [, remove] = useMutation(Delete);
  const reload = () => refresh({ requestPolicy: "network-only" });
  const endpoints = list.data?.webhookEndpoints ?? [];

  return (
    <main className="page">
      <div className="title-row">
        <h1>Webhooks</h1>
        {can.manage && !creating && (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New endpoint
          </button>
        )}
      </div>
      <p className="hint">
        Your practice systems receive responses, rebookings and unsubscribes as signed HTTPS POSTs (Reengage-Signature: HMAC-SHA256 with the endpoint's secret), retried for a day while they fail.
      </p>
      {secret && (
        <div className="notice notice-calm" role="status" data-testid="new-secret">
          <p>
            <strong>Copy this signing secret now</strong>: it is shown only once. Your system verifies each delivery to {secret.url} with it.
          </p>
          <code>{secret.secret}</code>
          <div className="actions">
            <button type="button" onClick={() => setSecret(null)}>
              I have copied it
            </button>
          </div>
        </div>
      )}
      {notice && <p className="notice notice-calm" role="status">{notice}</p>}
      {creating && (
        <EndpointForm
          onCreated={(url, made) => {
            setCreating(false);
            setSecret({ url, secret: made });
            reload();
          }}
          onCancel={() => setCreating(false)}
        />
      )}
      {list.error && <ErrorNotice>Webhooks could not be loaded: {list.error.message}</ErrorNotice>}
      <table className="table" aria-label="Webhook endpoints">
        <thead>
          <tr>
            <th scope="col">Endpoint</th>
            <th scope="col">Events</th>
            <th scope="col">Last delivery</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {endpoints.map((e) => {
            const health = endpointHealth(e.lastAttempt);
            return (
              <tr key={e.id} data-testid="webhook-endpoint">
                <td>
                  <strong>{e.url}</strong>
                  <div className="muted">
                    {e.description ? `${e.description} · ` : ""}secret {e.secretHint}
                    {e.enabled ? "" : " · disabled"}
                  </div>
                </td>
                <td>{e.events.map((v) => WEBHOOK_EVENTS.find((w) => w.value === v)?.label ?? v).join(", ")}</td>
                <td data-testid="webhook-health" className={health.failing ? "field-error" : undefined}>
                  {health.text}
                </td>
                <td className="row-actions">
                  <button type="button" className="small" aria-label={`${open === e.id ? "Hide attempts" : "Attempts"} of ${e.url}`} onClick={() => setOpen(open === e.id ? null : e.id)}>
                    {open === e.id ? "Hide attempts" : "Attempts"}
                  </button>
                  {can.manage && (
                    <>
                      <button
                        type="button"
                        className="small"
                        aria-label={`Send test to ${e.url}`}
                        onClick={async () => {
                          await test({ id: e.id });
                          setNotice(`A signed webhook.test event is on its way to ${e.url}.`);
                          setOpen(e.id);
                        }}
                      >
                        Send test
                      </button>
                      <button
                        type="button"
                        className="small"
                        aria-label={`Delete ${e.url}`}
                        onClick={async () => {
                          if (!window.confirm(`Delete the endpoint ${e.url}? Deliveries still waiting for it are dropped.`)) return;
                          await remove({ id: e.id });
                          reload();
                        }}
                      >
                        Delete
                      </button>
                    </>
                  )}
                </td>
              </tr>
            );
          })}
          {!endpoints.length && !list.fetching && (
            <tr>
              <td colSpan={4} className="muted">No endpoints yet.</td>
            </tr>
          )}
        </tbody>
      </table>
      {open && <AttemptsTable id={open} />}
    </main>
  );
}

function AttemptsTable({ id }: { id: string }) {
  const [result, refresh] = useQuery({ query: Attempts, variables: { id }, requestPolicy: "network-only" });
  const endpoint = result.data?.webhookEndpoint;
  return (
    <section aria-label="Recent attempts" className="card">
      <div className="title-row">
        <h2>Recent attempts</h2>
        <button type="button" className="small" onClick={() => refresh({ requestPolicy: "network-only" })}>
          Refresh
        </button>
      </div>
      {endpoint && <p className="muted">{plural(endpoint.pendingDeliveries, "delivery", "deliveries")} waiting or to be retried.</p>}
      <table className="table" aria-label="Attempts">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Event</th>
            <th scope="col" className="num">Try</th>
            <th scope="col">Answer</th>
            <th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          {(endpoint?.recentAttempts ?? []).map((a) => (
            <tr key={`${a.deliveryId}:${a.attempt}`} data-testid="webhook-attempt">
              <td>{dateTime(a.at)}</td>
              <td>{a.eventType}</td>
              <td className="num">{a.attempt}</td>
              <td>
                {a.statusCode ? `HTTP ${a.statusCode}` : "no answer"} <span className="muted">{a.durationMs} ms</span>
                {a.error && <div className="muted">{a.error}</div>}
              </td>
              <td>{a.outcome === "RETRYING" ? `retrying ${dateTime(a.nextAt)}` : a.outcome.toLowerCase().replace("_", " ")}</td>
            </tr>
          ))}
          {endpoint && !endpoint.recentAttempts.length && (
            <tr>
              <td colSpan={5} className="muted">No attempts yet.</td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}

function EndpointForm({ onCreated, onCancel }: { onCreated: (url: string, secret: string) => void; onCancel: () => void }) {
  const [url, setUrl] = useState("https://");
  const [description, setDescription] = useState("");
  const [events, setEvents] = useState<WebhookEvent[]>(["PATIENT_RESPONDED", "PATIENT_REBOOKED", "PATIENT_UNSUBSCRIBED"] as WebhookEvent[]);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [, create] = useMutation(Create);
  const byField = errorsByField(errors.map((e) => ({ ...e, field: e.field.split(".")[0] })));
  const errorOf = (key: string) =>
    byField.get(key)?.map((e) => (
      <p key={e.message} className="field-error" role="alert">
        {fieldErrorText(e)} ({e.message})
      </p>
    ));

  return (
    <form
      className="card"
      aria-label="New webhook endpoint"
      onSubmit={async (ev) => {
        ev.preventDefault();
        const answer = await create({ input: { url, events, description: description || null } });
        const result = answer.data?.createWebhookEndpoint;
        if (result?.__typename === "CreatedWebhookEndpoint") onCreated(result.endpoint.url, result.secret);
        else if (result?.__typename === "ValidationError") setErrors([...result.fields]);
        else setErrors([{ field: "url", message: answer.error?.message ?? "not saved", code: "INVALID" }]);
      }}
    >
      <label>
        Endpoint URL (https)
        <input value={url} onChange={(ev) => setUrl(ev.target.value)} />
      </label>
      {errorOf("url")}
      <label>
        Description
        <input value={description} onChange={(ev) => setDescription(ev.target.value)} />
      </label>
      {errorOf("description")}
      <div role="group" aria-label="Events">
        <strong>Events</strong>
        <div className="chips">
          {WEBHOOK_EVENTS.map((w) => (
            <label className="inline" key={w.value}>
              <input
                type="checkbox"
                checked={events.includes(w.value as WebhookEvent)}
                onChange={(ev) => setEvents(ev.target.checked ? [...events, w.value as WebhookEvent] : events.filter((x) => x !== w.value))}
              />
              {w.label}
            </label>
          ))}
        </div>
        {errorOf("events")}
      </div>
      <div className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary">
          Save endpoint
        </button>
      </div>
    </form>
  );
}
