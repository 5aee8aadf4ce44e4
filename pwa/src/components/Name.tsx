import { language } from "../i18n";
import { langAttribute, localName, type Named, scriptLang } from "../lib/names";

/** A place's name in the reader's language where the data has it, else marked as Japanese. */
export function Name({ of, as: Tag = "span" }: { of: Named; as?: "span" | "strong" }) {
  const shown = localName(of, language.value);
  return <Tag lang={langAttribute(shown.lang)}>{shown.text}</Tag>;
}

/** Text from the data (an address, a label, a name as typed), marked as Japanese on a screen in
 * another language when it is written in Japanese script. */
export function Japanese({ text }: { text: string }) {
  return <span lang={scriptLang(text)}>{text}</span>;
}
