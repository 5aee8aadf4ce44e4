// Welfare shelters (福祉避難所) and a household's care needs: which target groups of a shelter
// (受入対象者, read by the server into TARGET_GROUPS) take in someone of the household. The
// server says which needs match each group (TARGET_NEEDS); the household stays on the phone.
import { TARGET_GROUPS, TARGET_NEEDS } from "../../api/values";
import type { Household, Member } from "./api";

export type TargetGroup = (typeof TARGET_GROUPS)[number];
const KNOWN: ReadonlySet<string> = new Set(TARGET_GROUPS);

/** A member's needs as TARGET_NEEDS names them: care needs, and "aged65" at 65 or more. */
export function memberNeeds(member: Member, today: Date = new Date()): Set<string> {
  const care = member.careNeeds;
  const needs = new Set<string>();
  if (care.mobility === "wheelchair" || care.mobility === "bedridden") needs.add("wheelchair");
  if (care.mobility === "needs_help" || care.mobility === "cane") needs.add("mobilityHelp");
  if (care.medication) needs.add("medication");
  if (care.allergy) needs.add("allergy");
  if (care.illness) needs.add("illness");
  if (care.disability) needs.add("disability");
  if (care.pregnancy) needs.add("pregnancy");
  if (care.infant) needs.add("infant");
  if (member.birthDate) {
    const born = new Date(`${member.birthDate}T00:00:00`);
    const sixtyFifth = new Date(born.getFullYear() + 65, born.getMonth(), born.getDate());
    if (sixtyFifth <= today) needs.add("aged65");
  }
  return needs;
}

/** The target groups (of those given) that take in someone of the household. */
export function matchingGroups(
  groups: readonly string[],
  household: Household,
  today: Date = new Date(),
): TargetGroup[] {
  const needs = new Set(household.members.flatMap((m) => [...memberNeeds(m, today)]));
  return groups.filter(isTargetGroup).filter((g) => TARGET_NEEDS[g].some((n) => needs.has(n)));
}

export const isTargetGroup = (group: string): group is TargetGroup => KNOWN.has(group);
