// Households in the editor: what the estimate's messages figure means for the clinic.
import { plural } from "./format";

/** The estimate's messages line: the first step's messages beside the patients they reach. */
export function messagesLine(messages: number, patients: number, grouped: boolean): string {
  const sent = `${plural(messages, "message")} by the first step`;
  if (!grouped) return `${sent}, one per patient.`;
  if (messages >= patients) return `${sent}; no patients share a contact.`;
  return `${sent} for ${plural(patients, "patient")}: patients sharing a contact get one together.`;
}
