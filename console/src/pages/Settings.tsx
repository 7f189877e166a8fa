import { useState, type ReactNode } from "react";
import { useMutation, useQuery } from "urql";
import { channelGaps } from "../components/ProfileBanner";
import { graphql } from "../gql";
import { errorsByField, fieldErrorText, type FieldError } from "../lib/errorCodes";
import { useSession } from "../session";

const Profile = graphql(`
  query ClinicProfile {
    clinic {
      name
      phone
      email
      address { line1 line2 city state postalCode country }
      timezone
      bookingUrl
      emailFrom
      smsFrom
      website
      quietHours { start end }
    }
  }
`);
const Save = graphql(`
  mutation SaveProfile($input: ClinicProfileInput!) {
    updateClinicProfile(input: $input) {
      __typename
      ... on ClinicProfile { name }
      ... on ValidationError { message fields { field message code } }
    }
  }
`);

type Form = Record<
  "name" | "phone" | "email" | "timezone" | "bookingUrl" | "emailFrom" | "smsFrom" | "website" | "line1" | "line2" | "city" | "state" | "postalCode" | "country" | "start" | "end",
  string
>;

const ADDRESS = ["line1", "line2", "city", "state", "postalCode", "country"] as const;

export default function SettingsPage() {
  const [result] = useQuery({ query: Profile, requestPolicy: "network-only" });
  if (!result.data) return <p className="loading">Loading the clinic profile…</p>;
  const p = result.data.clinic;
  const start: Form = {
    name: p?.name ?? "",
    phone: p?.phone ?? "",
    email: p?.email ?? "",
    timezone: p?.timezone ?? "America/Chicago",
    bookingUrl: p?.bookingUrl ?? "",
    emailFrom: p?.emailFrom ?? "",
    smsFrom: p?.smsFrom ?? "",
    website: p?.website ?? "",
    line1: p?.address?.line1 ?? "",
    line2: p?.address?.line2 ?? "",
    city: p?.address?.city ?? "",
    state: p?.address?.state ?? "",
    postalCode: p?.address?.postalCode ?? "",
    country: p?.address?.country ?? "",
    start: p?.quietHours.start ?? "08:00",
    end: p?.quietHours.end ?? "21:00",
  };
  return <ProfileForm start={start} gaps={channelGaps(p)} />;
}

function ProfileForm({ start, gaps }: { start: Form; gaps: string[] }) {
  const { can } = useSession();
  const [form, setForm] = useState(start);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [outcome, setOutcome] = useState<string | null>(null);
  const [, save] = useMutation(Save);
  const byField = errorsByField(errors);
  const errorOf = (...paths: string[]) => paths.flatMap((path) => byField.get(path) ?? []);
  const none = (v: string) => (v.trim() ? v.trim() : null);

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    const answer = await save({
      input: {
        name: form.name,
        phone: none(form.phone),
        email: none(form.email),
        timezone: form.timezone,
        bookingUrl: none(form.bookingUrl),
        emailFrom: none(form.emailFrom),
        smsFrom: none(form.smsFrom),
        website: none(form.website),
        address: ADDRESS.some((k) => form[k].trim()) ? Object.fromEntries(ADDRESS.map((k) => [k, none(form[k])])) : null,
        quietHours: { start: form.start, end: form.end },
      },
    });
    const r = answer.data?.updateClinicProfile;
    if (answer.error) setOutcome(`Not saved: ${answer.error.message}`);
    else if (r?.__typename === "ValidationError") {
      setErrors(r.fields);
      setOutcome("Not saved: fix the fields marked below.");
    } else {
      setErrors([]);
      setOutcome("Saved.");
    }
  }

  const input = (key: keyof Form, label: string, paths: string[] = [key], type = "text") => (
    <Field label={label} errors={errorOf(...paths)}>
      <input type={type} value={form[key]} onChange={(e) => setForm({ ...form, [key]: e.target.value })} />
    </Field>
  );

  return (
    <main className="page">
      <h1>Clinic settings</h1>
      {gaps.length > 0 && (
        <div className="notice notice-warn" role="status">
          <strong>Some channels cannot launch yet.</strong> {gaps.join(" ")}
        </div>
      )}
      <form onSubmit={submit} aria-label="Clinic profile">
        <fieldset disabled={!can.manage}>
          <legend>Clinic</legend>
          <div className="grid2">
            {input("name", "Clinic name")}
            {input("timezone", "Time zone (e.g. America/Chicago)")}
            {input("phone", "Phone patients dial")}
            {input("email", "Email patients write to")}
            {input("bookingUrl", "Booking page (https)")}
            {input("website", "Website")}
          </div>
        </fieldset>
        <fieldset disabled={!can.manage}>
          <legend>Senders</legend>
          <div className="grid2">
            {input("emailFrom", "Emails come from (e.g. Bright Smiles <hello@brightsmiles.com>)")}
            {input("smsFrom", "SMS come from (+13125550100)")}
          </div>
        </fieldset>
        <fieldset disabled={!can.manage}>
          <legend>Postal address (email footers, letters)</legend>
          <div className="grid3">
            {input("line1", "Address line 1", ["address.line1", "address"])}
            {input("line2", "Address line 2", ["address.line2"])}
            {input("city", "City", ["address.city"])}
            {input("state", "State", ["address.state"])}
            {input("postalCode", "Postal code", ["address.postalCode"])}
            {input("country", "Country (e.g. US)", ["address.country"])}
          </div>
        </fieldset>
        <fieldset disabled={!can.manage}>
          <legend>Sending hours (patient's local time)</legend>
          <div className="grid2">
            {input("start", "Earliest", ["quietHours.start", "quietHours"])}
            {input("end", "Latest", ["quietHours.end"])}
          </div>
        </fieldset>
        {can.manage && (
          <div className="actions">
            {outcome && (
              <span role="status" className={outcome === "Saved." ? "" : "field-error"}>
                {outcome}
              </span>
            )}
            <button type="submit" className="primary">
              Save profile
            </button>
          </div>
        )}
      </form>
    </main>
  );
}

function Field({ label, errors, children }: { label: string; errors: FieldError[]; children: ReactNode }) {
  return (
    <div>
      <label>
        {label}
        {children}
      </label>
      {errors.length > 0 && (
        <p className="field-error" role="alert">
          {errors.map((e) => fieldErrorText(e)).join(" ")}
        </p>
      )}
    </div>
  );
}
