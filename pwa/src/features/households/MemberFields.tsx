import { t } from "../../i18n";
import { type Member, MOBILITY, RELATIONSHIPS, SEXES, SKILLS } from "./api";

const text = (value: string) => (value.trim() === "" ? null : value);

/** One person's fields: name, kana, relationship, birth date, sex, care needs, skills. Used by
 * "my evacuation info" and by the staff's evacuee card. `onChange` gets a function that edits a
 * copy of the member. */
export function MemberFields({
  member,
  n,
  onChange,
  onRemove,
}: {
  member: Member;
  n: number;
  onChange: (change: (m: Member) => void) => void;
  onRemove?: (() => void) | undefined;
}) {
  return (
    <fieldset class="panel member">
      <legend>{t("myinfo.member", { n })}</legend>
      <label class="field">
        <span>{t("myinfo.name")}</span>
        <input
          value={member.name}
          autoComplete="name"
          onInput={(e) =>
            onChange((m) => {
              m.name = e.currentTarget.value;
            })
          }
        />
      </label>
      <label class="field">
        <span>{t("sheet.kana")}</span>
        <input
          value={member.kana ?? ""}
          onInput={(e) =>
            onChange((m) => {
              m.kana = text(e.currentTarget.value);
            })
          }
        />
      </label>
      <label class="field">
        <span>{t("myinfo.relationship")}</span>
        <select
          value={member.relationship}
          onChange={(e) =>
            onChange((m) => {
              m.relationship = e.currentTarget.value as Member["relationship"];
            })
          }
        >
          {RELATIONSHIPS.map((r) => (
            <option key={r} value={r}>
              {t(`relationship.${r}`)}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>{t("myinfo.birthDate")}</span>
        <input
          type="date"
          value={member.birthDate ?? ""}
          onInput={(e) =>
            onChange((m) => {
              m.birthDate = text(e.currentTarget.value);
            })
          }
        />
      </label>
      <label class="field">
        <span>{t("myinfo.sex")}</span>
        <select
          value={member.sex}
          onChange={(e) =>
            onChange((m) => {
              m.sex = e.currentTarget.value as Member["sex"];
            })
          }
        >
          {SEXES.map((s) => (
            <option key={s} value={s}>
              {t(`sex.${s}`)}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>{t("myinfo.mobility")}</span>
        <select
          value={member.careNeeds.mobility}
          onChange={(e) =>
            onChange((m) => {
              m.careNeeds.mobility = e.currentTarget.value as Member["careNeeds"]["mobility"];
            })
          }
        >
          {MOBILITY.map((m) => (
            <option key={m} value={m}>
              {t(`mobility.${m}`)}
            </option>
          ))}
        </select>
      </label>
      {(["medication", "allergy", "illness", "disability", "languageNeeds", "notes"] as const).map((field) => (
        <label class="field" key={field}>
          <span>{t(`care.${field}`)}</span>
          <input
            value={member.careNeeds[field] ?? ""}
            onInput={(e) =>
              onChange((m) => {
                m.careNeeds[field] = text(e.currentTarget.value);
              })
            }
          />
        </label>
      ))}
      {(["pregnancy", "infant"] as const).map((field) => (
        <label class="toggle" key={field}>
          <input
            type="checkbox"
            checked={member.careNeeds[field]}
            onChange={(e) =>
              onChange((m) => {
                m.careNeeds[field] = e.currentTarget.checked;
              })
            }
          />
          {t(`care.${field}`)}
        </label>
      ))}
      <fieldset class="skills">
        <legend>{t("myinfo.skills")}</legend>
        {SKILLS.map((skill) => (
          <label class="toggle" key={skill}>
            <input
              type="checkbox"
              checked={member.skills.includes(skill)}
              onChange={(e) =>
                onChange((m) => {
                  m.skills = e.currentTarget.checked ? [...m.skills, skill] : m.skills.filter((s) => s !== skill);
                })
              }
            />
            {t(`skill.${skill}`)}
          </label>
        ))}
      </fieldset>
      {onRemove && (
        <button type="button" class="secondary" onClick={onRemove}>
          {t("myinfo.removeMember", { n })}
        </button>
      )}
    </fieldset>
  );
}
