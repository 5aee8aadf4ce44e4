// The shelters feature's calls (server/shelters: operation, check-in, walk-ins, the live stream).
// Writes go through the outbox (they must survive a lost network); reads are plain calls.
import { getJson, post, type Schemas } from "../../api/client";
import { CARE_NEEDS, type FILL_STATUSES, STAYS } from "../../api/values";
import { outbox } from "../../lib/outboxStore";
import type { Household } from "../households/api";

export { CARE_NEEDS, STAYS };
export type Stay = (typeof STAYS)[number];
export type CareNeed = (typeof CARE_NEEDS)[number];
export type OccupancyStatus = (typeof FILL_STATUSES)[number];

/** One open shelter as staff and headquarters see it. */
export type Occupancy = Schemas["ShelterOccupancy"];

/** What a shelter lacks, as one line (older clients sent a list). */
export const suppliesShort = (needs: Occupancy["needs"]): string =>
  Array.isArray(needs.suppliesShort) ? needs.suppliesShort.join("、") : (needs.suppliesShort ?? "");

/** A household as staff see it at the door and in the people list (a walk-in's with the
 * evacuee card's answers); each member's `needs` are the server's reading of its care needs. */
export type HouseholdView = Schemas["HouseholdView"];
export type MemberView = Schemas["MemberView"];

/** Another open shelter, with public counts (a transfer's destination). */
export type OpenShelter = Schemas["PublicShelter"];

export type CheckIn = Schemas["CheckinRequest"];
export type CheckOut = Schemas["CheckinRequest"];
export type Transfer = Schemas["TransferRequest"];
export type ShelterUpdate = Schemas["ShelterUpdate"];

/** The digital evacuee card: a household (as my info sends it) and what the card adds. */
export interface WalkIn extends Household {
  address: string | null;
  phone: string | null;
  stay: Stay;
  houseDamage: string;
  utilitiesOut: string[];
  neededSupplies: string | null;
  familyNotReached: string | null;
}

/** The shelters this account oversees, with their occupancy. */
export const occupancy = () => getJson<Schemas["OccupancyAnswer"]>("/api/shelters/occupancy").then((a) => a.shelters);
export const occupancyCsvUrl = "/api/shelters/occupancy.csv";
export const occupancyGeojsonUrl = "/api/shelters/occupancy.geojson";
/** People in the shelters one oversees over the event, per municipality, in `buckets` spans. */
export type Trend = Schemas["Trend"];
export const trend = (buckets: number) => getJson<Trend>(`/api/shelters/trend?buckets=${buckets}`);
/** A shelter's check-ins, check-outs, opening and closing, newest first (counts only). */
export type ShelterHistory = Schemas["ShelterHistory"];
export const shelterHistory = (shelterId: string) =>
  getJson<ShelterHistory>(`/api/shelters/${encodeURIComponent(shelterId)}/history`);
/** Occupancy changes as they happen: `occupancy` events of `{shelter: Occupancy}`. */
export const liveUrl = "/api/live";

/** Every open shelter (public counts), to transfer people to. */
export const openShelters = () => getJson<Schemas["PublicShelters"]>("/api/shelters/open").then((a) => a.shelters);

/** The households at a shelter, found by name or kana (each answer is audit-logged). */
export const people = (shelterId: string, q: string) =>
  getJson<Schemas["People"]>(`/api/shelters/${encodeURIComponent(shelterId)}/people?q=${encodeURIComponent(q)}`).then(
    (a) => a.households,
  );

/** A scanned code, checked by the server (revocation included): whose it is, at `shelterId`. The
 * route is the households feature's (it reads the household); the view is the staff's. */
export const verifyQr = (qr: string, shelterId: string | undefined) =>
  post<Schemas["Verified"]>("/api/qr/verify", { qr, shelterId });

export const walkInQrUrl = (shelterId: string, householdId: string) =>
  `/api/shelters/${shelterId}/walkins/${householdId}/qr.svg`;

/** A shelter's writes are queued under URLs that start with this (see `waiting`). */
export const shelterUrl = (shelterId: string) => `/api/shelters/${shelterId}`;

export const checkIn = (body: CheckIn, label: string) =>
  outbox.enqueue({ method: "POST", url: "/api/checkins", body, label });

export const checkOut = (body: CheckOut, label: string) =>
  outbox.enqueue({ method: "POST", url: "/api/checkouts", body, label });

export const transfer = (body: Transfer, label: string) =>
  outbox.enqueue({ method: "POST", url: "/api/transfers", body, label });

export const registerWalkIn = (shelterId: string, body: WalkIn, label: string) =>
  outbox.enqueue({ method: "POST", url: `${shelterUrl(shelterId)}/walkins`, body, label });

/** The shelter's state (a full replacement: a newer one supersedes one still queued). */
export async function updateShelter(shelterId: string, body: ShelterUpdate, label: string) {
  const url = shelterUrl(shelterId);
  await outbox.supersede(url);
  return outbox.enqueue({ method: "PUT", url, label, body });
}
