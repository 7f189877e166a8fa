import { describe, expect, it } from "vitest";
import { fromCampaign, newForm, toInput } from "./campaignForm";
import { fieldErrorText, fieldName } from "./errorCodes";
import { fallbackNote, languageLabel, languagesToAdd } from "./languages";

const LANGUAGES = [
  { code: "en", name: "English", nativeName: "English" },
  { code: "es", name: "Spanish", nativeName: "español" },
];

describe("languages", () => {
  it("names a language in English and in itself", () => {
    expect(languageLabel("es", LANGUAGES)).toBe("Spanish (español)");
    expect(languageLabel("en", LANGUAGES)).toBe("English");
    expect(languageLabel("fr", LANGUAGES)).toBe("French");
    expect(languageLabel("not a tag", LANGUAGES)).toBe("not a tag");
  });

  it("offers only the languages a step has no template in", () => {
    expect(languagesToAdd(LANGUAGES, "en", []).map((l) => l.code)).toEqual(["es"]);
    expect(languagesToAdd(LANGUAGES, "en", [{ language: "es", subject: "", body: "" }])).toEqual([]);
    expect(languagesToAdd(LANGUAGES, "es", []).map((l) => l.code)).toEqual(["en"]);
  });

  it("says when a previewed step falls back to the default template", () => {
    expect(fallbackNote("es", "es", LANGUAGES)).toBeNull();
    expect(fallbackNote("", "en", LANGUAGES)).toBeNull();
    expect(fallbackNote("es", "en", LANGUAGES)).toBe(
      "This step has no Spanish template: patients who prefer Spanish get the English one.",
    );
    expect(fallbackNote("fr", "en", LANGUAGES)).toBe(
      "This step has no French template: patients who prefer French get the English one.",
    );
  });

  it("sends a step's translations and the default language, and loads them back", () => {
    const form = newForm();
    form.defaultLanguage = "en";
    form.steps[1].translations = [{ language: "es", subject: "ignored for an SMS", body: "Hola" }];
    const input = toInput(form);
    expect(input.defaultLanguage).toBe("en");
    expect(input.messageTemplates[1].translations).toEqual([{ language: "es", subject: null, body: "Hola" }]);
    const back = fromCampaign({ ...input, targeting: input.targeting!, messageTemplates: input.messageTemplates.map((t) => ({ ...t, delayDays: t.delayDays ?? 0, variant: t.variant ?? "A" })) } as never);
    expect(back.steps[1].translations).toEqual([{ language: "es", subject: "", body: "Hola" }]);
    expect(back.steps[0].translations).toEqual([]);
  });

  it("names a translation's field and its language error in words", () => {
    expect(fieldName("messageTemplates.1.translations.0.body")).toBe("Step 2 other language 1 body");
    expect(fieldErrorText({ code: "UNSUPPORTED_LANGUAGE" })).toContain("English or Spanish");
  });
});
