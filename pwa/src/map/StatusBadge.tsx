import { t } from "../i18n";
import { type BadgeStatus, STATUS_BADGES } from "./symbols";

/** A shelter's status as on the map (shape and mark) and in words. */
export function StatusBadge({ status }: { status: BadgeStatus }) {
  const badge = STATUS_BADGES[status];
  return (
    <span class={`status-badge status-${status}`}>
      <svg viewBox="-1 -1 26 26" width="20" height="20" aria-hidden="true" focusable="false">
        <path d={badge.shape} fill={badge.colour} stroke="#fff" stroke-width="2" stroke-linejoin="round" />
        <path d={badge.mark} fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round" />
      </svg>
      <span>{t(`status.${status}`)}</span>
    </span>
  );
}
