// The GraphQL client: urql over HTTP for queries and mutations, graphql-ws
// (graphql-transport-ws) for the campaignStats subscription. The token goes in the
// Authorization header, and in the websocket's connection_init payload.
import { createClient as createWsClient } from "graphql-ws";
import { Client, fetchExchange, mapExchange, subscriptionExchange } from "urql";

export function makeClient(token: string, onRefused: (why: string) => void): Client {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = createWsClient({
    url: `${scheme}://${location.host}/graphql`,
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: true,
    retryAttempts: 5,
  });
  return new Client({
    url: "/graphql",
    requestPolicy: "cache-and-network",
    fetchOptions: () => ({ headers: { authorization: `Bearer ${token}` } }),
    exchanges: [
      mapExchange({
        onError(error) {
          const refused = error.graphQLErrors.find((e) => e.extensions?.code === "UNAUTHENTICATED");
          if (refused) onRefused(`You were signed out: ${refused.message}`);
        },
      }),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || "" };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
}
