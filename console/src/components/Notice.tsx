import type { ReactNode } from "react";

type Unavailable = { __typename?: "NotAvailable"; message: string; service: string };

const WHAT: Record<string, string> = {
  "tracking-svc": "Live figures",
  "audience-svc": "Audience figures",
  "campaign-svc": "Campaigns",
};

/** A calm notice for the part of a page whose service does not answer right now. */
export function UnavailableNotice({ outage, children }: { outage: Unavailable; children?: ReactNode }) {
  const what = WHAT[outage.service] ?? "This part";
  return (
    <div className="notice notice-calm" role="status">
      <strong>{what} are not available right now.</strong> The rest of the page works; this part
      will come back by itself once {outage.service} answers again. {children}
    </div>
  );
}

export function ErrorNotice({ children }: { children: ReactNode }) {
  return (
    <div className="notice notice-error" role="alert">
      {children}
    </div>
  );
}
