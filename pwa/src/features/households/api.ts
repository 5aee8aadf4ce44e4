// The households feature's calls (server/households: my household, its QR codes, their signing keys).
import { getJson, type Schemas } from "../../api/client";

export type CareNeeds = Schemas["CareNeedsRecord"];
export type Mobility = CareNeeds["mobility"];
export const MOBILITY: Mobility[] = ["walks", "needs_help", "cane", "wheelchair", "bedridden"];
export const RELATIONSHIPS = [
  "self",
  "spouse",
  "child",
  "parent",
  "grandparent",
  "grandchild",
  "sibling",
  "other",
] as const;
export const SEXES = ["unspecified", "female", "male", "other"] as const;
export const SKILLS = ["medical", "nursing_care", "teacher", "volunteer"] as const;
export const PET_KINDS = ["dog", "cat", "bird", "small_animal", "other"] as const;

/** A member as the server keeps it; one added on this device has no id until it is saved. */
export type Member = Omit<Schemas["MemberRecord"], "id"> & { id: string | null };
export type Pet = Schemas["PetRecord"];

/** My household as the server keeps it (GET/PUT answer), with members maybe not saved yet. */
export type Household = Omit<Schemas["HouseholdDocument"], "members"> & { members: Member[] };

/** My household: read here, written through the outbox (PUT, a full replacement). */
export const HOUSEHOLD_URL = "/api/households/me";
export const fetchHousehold = () => getJson<Schemas["HouseholdDocument"]>(HOUSEHOLD_URL);
export const householdQrUrl = "/api/households/me/qr.svg";
export const memberQrUrl = (memberId: string) => `/api/households/me/members/${memberId}/qr.svg`;

export type PublicKey = Schemas["PublicKey"];

/** The keys residents' codes are signed with. */
export const qrKeys = () => getJson<Schemas["PublicKeys"]>("/api/qr/keys");
