// GraphiQL for the gateway, bundled with everything it loads: the page works where no CDN
// can be reached. It talks to the URL it was served from (/graphql): queries over HTTP,
// subscriptions over graphql-transport-ws on the same path. The headers pane's JSON goes on
// every HTTP request and, for subscriptions, into connection_init's payload, where the gateway
// looks for {"authorization": "Bearer …"} (a browser cannot set a websocket's headers).
import { explorerPlugin } from "@graphiql/plugin-explorer";
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import { createElement } from "react";
import { createRoot } from "react-dom/client";

import "graphiql/graphiql.css";
import "@graphiql/plugin-explorer/dist/style.css";
import "./graphiql.css";

const WELCOME = `# Re-engagement campaigns: the gateway's GraphQL API.
#
# 1. Get a token:   ./dev token --role clinic_admin --clinic clinic-demo
# 2. In the Headers pane below:   {"Authorization": "Bearer <the token>"}
# 3. Run with Ctrl-Enter. Subscriptions (campaignStats) send the same
#    header when their websocket opens.
{
  me {
    clinicId
    role
  }
}
`;

const HEADERS_HINT = `{"Authorization": "Bearer <./dev token --role clinic_admin --clinic clinic-demo>"}`;

function endpoints() {
  const http = new URL(window.location.href);
  http.search = "";
  http.hash = "";
  const ws = new URL(http);
  ws.protocol = http.protocol === "https:" ? "wss:" : "ws:";
  return { url: http.toString(), subscriptionUrl: ws.toString() };
}

function main() {
  const fetcher = createGraphiQLFetcher(endpoints());
  const root = createRoot(document.getElementById("graphiql"));
  root.render(
    createElement(GraphiQL, {
      fetcher,
      plugins: [explorerPlugin()],
      defaultQuery: WELCOME,
      defaultHeaders: HEADERS_HINT,
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      // kept in this browser's local storage, so a reload keeps the token
      shouldPersistHeaders: true,
      inputValueDeprecation: true,
    }),
  );
}

main();
