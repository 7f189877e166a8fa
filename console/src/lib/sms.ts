// How many SMS segments a text takes, as carriers count them: GSM-7 when every character is in
// the GSM 03.38 alphabet (extension characters count twice), else UCS-2 (UTF-16 code units).
const GSM_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM_EXTENDED = "^{}\\[~]|€\f";
const BASIC = new Set(GSM_BASIC);
const EXTENDED = new Set(GSM_EXTENDED);

export type SmsSize = { encoding: "GSM-7" | "UCS-2"; characters: number; segments: number };

export function smsSize(text: string): SmsSize {
  let septets = 0;
  let gsm = true;
  for (const char of text) {
    if (BASIC.has(char)) septets += 1;
    else if (EXTENDED.has(char)) septets += 2;
    else {
      gsm = false;
      break;
    }
  }
  if (gsm) {
    const segments = septets === 0 ? 0 : septets <= 160 ? 1 : Math.ceil(septets / 153);
    return { encoding: "GSM-7", characters: septets, segments };
  }
  const units = text.length; // UTF-16 code units
  const segments = units === 0 ? 0 : units <= 70 ? 1 : Math.ceil(units / 67);
  return { encoding: "UCS-2", characters: units, segments };
}

export function describeSms(size: SmsSize): string {
  const per = size.encoding === "GSM-7" ? (size.segments > 1 ? 153 : 160) : size.segments > 1 ? 67 : 70;
  const parts = size.segments === 1 ? "1 segment" : `${size.segments} segments`;
  return `${size.characters} characters, ${parts} (${size.encoding}, ${per} per segment)`;
}
