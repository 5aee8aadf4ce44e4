import { useEffect, useState } from "preact/hooks";
import { Name } from "../../components/Name";
import { t, tParts } from "../../i18n";
import { age, formatDate } from "../../lib/format";
import type { Named } from "../../lib/names";
import { reason, useQuery } from "../../lib/useQuery";
import { place } from "../../map/state";
import { municipalities } from "../municipalities/api";
import { type PackManifest, packList } from "./api";
import { ChecksumError, cacheStore, ensureRoom, PackDownload, QuotaError } from "./download";
import { refreshPacks, storedPacks } from "./stored";

const megabytes = (bytes: number) => `${(bytes / 1_000_000).toFixed(1)} MB`;

interface Job {
  download: PackDownload;
  received: number;
  error: string | null;
  done: boolean;
}

export function OfflineScreen() {
  const list = useQuery("packs", packList);
  // The municipalities' names in other scripts (a pack's manifest has the Japanese one only).
  const towns = useQuery("municipalities", municipalities);
  const named = (manifest: PackManifest): Named =>
    (towns.state === "done" ? towns.value.find((m) => m.code === manifest.municipality) : undefined) ?? {
      name: manifest.name,
    };
  const [jobs, setJobs] = useState<Record<string, Job>>({});
  const [persisted, setPersisted] = useState<boolean | null>(null);
  useEffect(() => {
    void refreshPacks();
    void navigator.storage?.persisted?.().then(setPersisted);
  }, []);

  const update = (code: string, change: Partial<Job>) =>
    setJobs((all) => {
      const job = all[code];
      return job ? { ...all, [code]: { ...job, ...change } } : all;
    });

  async function start(manifest: PackManifest) {
    const code = manifest.municipality;
    const existing = jobs[code];
    const download =
      existing && !existing.done && existing.download.manifest.version === manifest.version
        ? existing.download
        : new PackDownload(manifest);
    setJobs((all) => ({ ...all, [code]: { download, received: download.received, error: null, done: false } }));
    try {
      await ensureRoom(manifest.bytes - download.received);
      await download.run(cacheStore, (received) => update(code, { received }));
      await refreshPacks();
      setPersisted((await navigator.storage?.persisted?.()) ?? null);
      update(code, { done: true });
    } catch (error) {
      const message =
        error instanceof ChecksumError
          ? t("packs.errorChecksum")
          : error instanceof QuotaError
            ? t("packs.errorQuota", { size: megabytes(manifest.bytes) })
            : t("packs.errorNetwork", { reason: reason(error) });
      update(code, { error: message });
    }
  }

  async function remove(code: string) {
    await cacheStore.remove(code);
    await refreshPacks();
  }

  const stored = new Map(storedPacks.value.map((p) => [p.manifest.municipality, p]));
  const here = place.value;
  // Listed once the names are known too (or cannot be), so that a name never changes under the reader.
  const ready = list.state === "done" && towns.state !== "loading";
  const manifests = ready ? list.value.packs : [];
  const suggested = here
    ? manifests.filter(
        ({ bbox }) => here.lon >= bbox[0] && here.lon <= bbox[2] && here.lat >= bbox[1] && here.lat <= bbox[3],
      )
    : [];
  const ordered = [...suggested, ...manifests.filter((m) => !suggested.includes(m))];

  return (
    <div class="panels">
      <section class="panel" aria-labelledby="packs-available">
        <h2 id="packs-available">{t("packs.available")}</h2>
        {(list.state === "loading" || (list.state === "done" && !ready)) && <p>{t("map.loading")}</p>}
        {list.state === "error" && <p class="error">{t("packs.listError", { reason: list.reason })}</p>}
        {ready && manifests.length === 0 && <p>{t("packs.empty")}</p>}
        <ul class="packs">
          {ordered.map((manifest) => {
            const code = manifest.municipality;
            const job = jobs[code];
            const mine = stored.get(code);
            const current = mine?.manifest.version === manifest.version;
            const running = job && !job.done && job.error === null;
            return (
              <li key={code} data-code={code}>
                <div>
                  <Name of={named(manifest)} as="strong" />
                  {suggested.includes(manifest) && <span class="muted"> — {t("packs.suggested")}</span>}
                  {mine && !current && <div>{t("packs.updateAvailable", { version: manifest.version })}</div>}
                </div>
                {running && (
                  <label class="progress">
                    <span>{tParts("packs.progress", {}, { name: <Name of={named(manifest)} /> })}</span>
                    <progress max={manifest.bytes} value={job.received} />
                  </label>
                )}
                {job?.error && (
                  <p class="error" role="alert">
                    {job.error}
                  </p>
                )}
                {job?.done && <p role="status">{tParts("packs.done", {}, { name: <Name of={named(manifest)} /> })}</p>}
                {!running && !current && (
                  <button type="button" class="primary" onClick={() => void start(manifest)}>
                    {/* One span: in a flex button, loose text pieces would lose their spaces. */}
                    <span>
                      {job?.error && job.download.received > 0
                        ? tParts("packs.resume", {}, { name: <Name of={named(manifest)} /> })
                        : tParts(
                            mine ? "packs.update" : "packs.download",
                            { size: megabytes(manifest.bytes) },
                            { name: <Name of={named(manifest)} /> },
                          )}
                    </span>
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      </section>
      <section class="panel" aria-labelledby="packs-stored">
        <h2 id="packs-stored">{t("packs.stored")}</h2>
        {storedPacks.value.length === 0 && <p>{t("packs.storedNone")}</p>}
        <ul class="packs">
          {storedPacks.value.map(({ manifest, storedAt }) => (
            <li key={manifest.municipality} data-stored={manifest.municipality}>
              <div>
                <Name of={named(manifest)} as="strong" />
                <div class="muted">
                  {t("packs.storedInfo", {
                    version: manifest.version,
                    date: formatDate(manifest.dataAsOf),
                    age: age(storedAt),
                  })}
                </div>
              </div>
              <button type="button" class="secondary" onClick={() => void remove(manifest.municipality)}>
                <span>{tParts("packs.delete", {}, { name: <Name of={named(manifest)} /> })}</span>
              </button>
            </li>
          ))}
        </ul>
        {persisted !== null && <p class="muted">{t(persisted ? "packs.persisted" : "packs.notPersisted")}</p>}
      </section>
    </div>
  );
}
