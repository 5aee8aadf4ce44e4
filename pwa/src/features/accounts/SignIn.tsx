import { useEffect, useState } from "preact/hooks";
import { t } from "../../i18n";
import { reason } from "../../lib/useQuery";
import { PasskeyButtons } from "./Passkeys";
import { me, signIn, signOut, whoAmI } from "./session";

/** Staff and headquarters sign in with e-mail and password (accounts made with `bosai users add`). */
export function SignInPanel() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (me.value === null) void whoAmI();
  }, []);
  const who = me.value;
  if (who?.kind === "operator") {
    const signedIn = t("signin.signedIn", { email: who.email ?? "", roles: who.roles.map((r) => r.role).join(", ") });
    // Signed in: one line, its details and sign-out folded away, so the work is on the first screen.
    return (
      <details class="panel account-menu">
        <summary title={signedIn}>{signedIn}</summary>
        <div class="buttons">
          <button type="button" class="secondary" onClick={() => void signOut()}>
            {t("signin.signOut")}
          </button>
          <PasskeyButtons add signIn={false} />
        </div>
      </details>
    );
  }
  async function submit(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(null);
    try {
      await signIn(String(form.get("email")), String(form.get("password")));
    } catch (failure) {
      setError(t("signin.error", { reason: reason(failure) }));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="panel" onSubmit={(e) => void submit(e)}>
      <h2>{t("signin.title")}</h2>
      <label class="field">
        <span>{t("signin.email")}</span>
        <input name="email" type="email" autoComplete="username" required />
      </label>
      <label class="field">
        <span>{t("signin.password")}</span>
        <input name="password" type="password" autoComplete="current-password" required />
      </label>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" class="primary" disabled={busy}>
        {t("signin.submit")}
      </button>
      <PasskeyButtons add={false} signIn />
    </form>
  );
}
