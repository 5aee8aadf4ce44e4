// The households feature's calls (server/households: my household, its QR codes, their signing keys).
import { getJson } from "../../api/client";

// The server does not declare the household's shape yet (GET/PUT /api/households/me take and answer
// untyped objects): these are server/households' structs, by hand.
export type Mobility = "walks" | "needs_help" | "cane" | "wheelchair" | "bedridden";
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

export interface CareNeeds {
  mobility: Mobility;
  disability: string | null;
  illness: string | null;
  medication: string | null;
  allergy: string | null;
  pregnancy: boolean;
  infant: boolean;
  languageNeeds: string | null;
  notes: string | null;
}

export interface Member {
  id: string | null;
  name: string;
  kana: string | null;
  relationship: (typeof RELATIONSHIPS)[number];
  birthDate: string | null;
  sex: (typeof SEXES)[number];
  careNeeds: CareNeeds;
  skills: (typeof SKILLS)[number][];
}

export interface Pet {
  kind: (typeof PET_KINDS)[number];
  count: number;
  wantsToBring: boolean;
}

export interface Household {
  members: Member[];
  pets: Pet[];
  emergencyContact: { name: string; phone: string; relationship: string | null } | null;
  home: { lat: number; lon: number; address: string | null } | null;
  work: { lat: number; lon: number; address: string | null } | null;
  consents: { shareStatusWithFamily: boolean; answerSafetyInquiries: boolean };
}

/** My household: read here, written through the outbox (PUT, a full replacement). */
export const HOUSEHOLD_URL = "/api/households/me";
export const fetchHousehold = () => getJson<Household>(HOUSEHOLD_URL);
export const householdQrUrl = "/api/households/me/qr.svg";
export const memberQrUrl = (memberId: string) => `/api/households/me/members/${memberId}/qr.svg`;

export interface PublicKey {
  kid: string;
  alg: "Ed25519";
  publicKey: string;
  current: boolean;
}

/** The keys residents' codes are signed with. */
export const qrKeys = () => getJson<{ keys: PublicKey[] }>("/api/qr/keys");
