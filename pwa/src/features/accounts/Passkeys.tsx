import { useState } from "preact/hooks";
import { t } from "../../i18n";
import { reason } from "../../lib/useQuery";
import { addPasskey, passkeysSupported, signInWithPasskey } from "./session";

/** Add a passkey, or sign in with one (on a new device, or instead of a password). */
export function PasskeyButtons({
  add,
  signIn,
  onSignedIn,
}: {
  add: boolean;
  signIn: boolean;
  onSignedIn?: () => void;
}) {
  const [status, setStatus] = useState<string | null>(null);
  if (!passkeysSupported()) return <p class="muted">{t("passkey.unsupported")}</p>;
  async function run(action: () => Promise<unknown>, done: string) {
    setStatus(null);
    try {
      await action();
      setStatus(done);
      onSignedIn?.();
    } catch (error) {
      setStatus(t("passkey.error", { reason: reason(error) }));
    }
  }
  return (
    <div class="passkeys">
      {add && (
        <button type="button" class="secondary" onClick={() => void run(addPasskey, t("passkey.added"))}>
          {t("passkey.add")}
        </button>
      )}
      {signIn && (
        <button type="button" class="secondary" onClick={() => void run(signInWithPasskey, t("passkey.signedIn"))}>
          {t("passkey.signIn")}
        </button>
      )}
      <p role="status">{status}</p>
    </div>
  );
}
