// The languages a step's template may be written in (messageLanguages), named in words, and
// what a preview in one language says about a step that has no template in it.
import { graphql } from "../gql";

export const MessageLanguagesQuery = graphql(`
  query MessageLanguages {
    messageLanguages { code name nativeName isDefault }
  }
`);

export type Language = { code: string; name: string; nativeName: string };
export type TranslationForm = { language: string; subject: string; body: string };

/** "Spanish (español)"; a language the list does not know by the browser's name for it. */
export function languageLabel(code: string, languages: readonly Language[]): string {
  const known = languages.find((l) => l.code === code);
  if (!known) return nameOf(code, languages);
  return known.name === known.nativeName ? known.name : `${known.name} (${known.nativeName})`;
}

/** "Spanish", "French": the list's English name, else the browser's (Intl), else the code. */
export function nameOf(code: string, languages: readonly Language[]): string {
  const known = languages.find((l) => l.code === code)?.name;
  if (known) return known;
  try {
    return new Intl.DisplayNames(["en"], { type: "language" }).of(code) ?? code;
  } catch {
    return code; // not a language tag Intl reads
  }
}

/** The languages a step may still add a template in: not the campaign's default, not one it has. */
export function languagesToAdd(languages: readonly Language[], defaultLanguage: string, translations: readonly TranslationForm[]): Language[] {
  const taken = new Set([defaultLanguage, ...translations.map((t) => t.language)]);
  return languages.filter((l) => !taken.has(l.code));
}

/** Said under a previewed step whose template is not in the previewed language. */
export function fallbackNote(previewed: string, shown: string, languages: readonly Language[]): string | null {
  if (!previewed || previewed === shown) return null;
  const asked = nameOf(previewed, languages);
  const got = nameOf(shown, languages);
  return `This step has no ${asked} template: patients who prefer ${asked} get the ${got} one.`;
}
