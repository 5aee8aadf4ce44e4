import { useState } from "preact/hooks";
import { t } from "../../i18n";
import { href } from "../../lib/router";
import { reason } from "../../lib/useQuery";
import { type InquiryAnswer, inquiry } from "./api";
import { StatusLine } from "./StatusLine";

type By = "name" | "code";

/** Anyone (no account) asks after a person: by full name and phone, or by the code on their card.
 * Shown is only what the server answers; "nothing found" reads the same whatever the reason. */
export function InquiryScreen() {
  const [by, setBy] = useState<By>("name");
  const [name, setName] = useState("");
  const [phone, setPhone] = useState("");
  const [code, setCode] = useState("");
  const [answer, setAnswer] = useState<InquiryAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ready = by === "name" ? name.trim() !== "" && phone.trim() !== "" : code.trim() !== "";
  return (
    <div class="panels inquiry">
      <form
        class="panel"
        aria-labelledby="inquiry-title"
        onSubmit={(e) => {
          e.preventDefault();
          if (!ready) return setError(t("inquiry.needBoth"));
          setBusy(true);
          setAnswer(null);
          setError(null);
          inquiry(by === "name" ? { name: name.trim(), phone: phone.trim() } : { code: code.trim() })
            .then(setAnswer, (failure: unknown) => setError(reason(failure)))
            .finally(() => setBusy(false));
        }}
      >
        <h2 id="inquiry-title">{t("inquiry.title")}</h2>
        <p>{t("inquiry.intro")}</p>
        <fieldset class="by">
          <legend>{t("inquiry.by")}</legend>
          <label class="check">
            <input type="radio" name="by" checked={by === "name"} onChange={() => setBy("name")} />
            <span>{t("inquiry.byName")}</span>
          </label>
          <label class="check">
            <input type="radio" name="by" checked={by === "code"} onChange={() => setBy("code")} />
            <span>{t("inquiry.byCode")}</span>
          </label>
        </fieldset>
        {by === "name" ? (
          <>
            <label class="field">
              <span>{t("inquiry.name")}</span>
              <input
                value={name}
                maxLength={100}
                autoComplete="off"
                onInput={(e) => setName((e.target as HTMLInputElement).value)}
              />
            </label>
            <label class="field">
              <span>{t("inquiry.phone")}</span>
              <input
                type="tel"
                value={phone}
                maxLength={24}
                autoComplete="off"
                onInput={(e) => setPhone((e.target as HTMLInputElement).value)}
              />
            </label>
          </>
        ) : (
          <label class="field">
            <span>{t("inquiry.code")}</span>
            <input
              value={code}
              maxLength={64}
              autoComplete="off"
              onInput={(e) => setCode((e.target as HTMLInputElement).value)}
            />
          </label>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {t("inquiry.ask")}
        </button>
      </form>
      <section class="panel" aria-live="polite" aria-labelledby="inquiry-answer">
        <h2 id="inquiry-answer">{t("inquiry.answer")}</h2>
        {error && <p class="error">{error}</p>}
        {answer?.found && answer.status && answer.at && (
          <p data-testid="inquiry-found">
            <StatusLine record={{ status: answer.status, at: answer.at, shelterName: null, byStaff: false }} />
          </p>
        )}
        {answer && !answer.found && <p data-testid="inquiry-nothing">{t("inquiry.nothing")}</p>}
        {!answer && !error && <p class="hint">{t("inquiry.privacy")}</p>}
      </section>
      <a class="button secondary" href={href("resident", "family")}>
        {t("inquiry.back")}
      </a>
    </div>
  );
}
