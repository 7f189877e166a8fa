import { Link } from "react-router-dom";
import { useQuery } from "urql";
import { graphql } from "../gql";

const Profile = graphql(`
  query ProfileGaps {
    clinic {
      name
      emailFrom
      smsFrom
      address {
        line1
        city
        postalCode
        country
      }
    }
  }
`);

type Profile = {
  emailFrom?: string | null;
  smsFrom?: string | null;
  address?: { line1?: string | null; city?: string | null; postalCode?: string | null; country?: string | null } | null;
} | null;

/** What each channel still lacks in the clinic profile (the launch rule's CHANNEL_NEEDS). */
export function channelGaps(profile: Profile | undefined): string[] {
  if (profile === undefined) return [];
  const address = profile?.address;
  const hasAddress = !!(address?.line1 && address.city && address.postalCode && address.country);
  const gaps: string[] = [];
  if (!profile) return ["Your clinic has no profile yet: no campaign can be launched until it is saved."];
  if (!hasAddress || !profile.emailFrom)
    gaps.push(`Email needs ${[!hasAddress && "a postal address", !profile.emailFrom && "a sender (email from)"].filter(Boolean).join(" and ")}.`);
  if (!profile.smsFrom) gaps.push("SMS needs a sender number (SMS from).");
  if (!hasAddress) gaps.push("Mail needs a postal address.");
  return gaps;
}

export function ProfileBanner() {
  const [result] = useQuery({ query: Profile });
  if (!result.data) return null;
  const gaps = channelGaps(result.data.clinic);
  if (!gaps.length) return null;
  return (
    <div className="notice notice-warn" role="status">
      <strong>Some channels cannot launch yet.</strong> {gaps.join(" ")} <Link to="/settings">Complete the clinic profile</Link>.
    </div>
  );
}
