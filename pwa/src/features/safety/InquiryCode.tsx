import { useEffect, useState } from "preact/hooks";
import { t } from "../../i18n";
import { fetchMe } from "./api";

/** The code on my card with which someone without the app can ask after me (the inquiry page),
 * shown only as far as I let inquiries be answered. */
export function InquiryCode() {
  const [code, setCode] = useState<{ code: string; answers: boolean } | null>(null);
  useEffect(() => {
    fetchMe().then(
      (mine) =>
        setCode({
          code: mine.consent.inquiryCode,
          answers: mine.consent.answerInquiries && !mine.consent.forbidInquiries,
        }),
      () => undefined, // offline: the card prints without it
    );
  }, []);
  if (!code) return null;
  return (
    <p class="inquiry-code">
      {t("family.inquiryCode")}: <code data-testid="card-inquiry-code">{code.code}</code>
      {!code.answers && <span class="muted"> {t("family.inquiryCodeOff")}</span>}
    </p>
  );
}
