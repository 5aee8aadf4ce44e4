import { useEffect, useState } from "preact/hooks";
import { t } from "../../../i18n";
import { reason } from "../../../lib/useQuery";
import { type Trend, trend } from "../api";
import { niceMax, points } from "./chart";
import { shortTime } from "./table";

const BUCKETS = 48;
const BOX = { width: 560, height: 150 };
const PAD = { left: 40, top: 8, right: 8, bottom: 22 };
// Each municipality its own colour AND dash pattern: lines stay apart without colour.
const LINES = [
  { colour: "#0d47a1", dash: "6 3" },
  { colour: "#a14800", dash: "2 3" },
  { colour: "#6a1b9a", dash: "10 3 2 3" },
  { colour: "#00695c", dash: "1 5" },
];
const REFRESH_MS = 60_000;
const SETTLE_MS = 5_000;

/** People in shelters over the event, overall and per municipality: an SVG chart described in
 * words, with its numbers in a table for screen readers and for reading off exactly. */
export function TrendChart({ changes }: { changes: number }) {
  const [data, setData] = useState<Trend | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Read at once, every minute, and a few seconds after live changes (not on every one).
  useEffect(() => {
    let current = true;
    const load = () =>
      trend(BUCKETS).then(
        (answer) => {
          if (!current) return;
          setData(answer);
          setError(null);
        },
        (failure: unknown) => {
          if (current) setError(reason(failure));
        },
      );
    const timer = window.setTimeout(load, changes === 0 ? 0 : SETTLE_MS);
    const every = window.setInterval(load, REFRESH_MS);
    return () => {
      current = false;
      window.clearTimeout(timer);
      window.clearInterval(every);
    };
  }, [changes]);

  if (error) return <p class="error">{error}</p>;
  if (!data) return null;
  const towns = data.municipalities.length > 1 ? data.municipalities : [];
  const top = niceMax(Math.max(0, ...data.all));
  const inner = { width: BOX.width - PAD.left - PAD.right, height: BOX.height - PAD.top - PAD.bottom };
  const now = data.all.at(-1) ?? 0;
  const peak = Math.max(0, ...data.all);
  const described = t("hq.trendDesc", { from: shortTime(data.from), to: shortTime(data.to), now, peak });
  // Every few buckets in the table: enough to read the course without 48 rows.
  const rows = data.times.map((time, i) => ({ time, i })).filter(({ i }) => i % 4 === 3 || i === data.times.length - 1);
  return (
    <section class="hq-trend" aria-labelledby="hq-trend-title">
      <h2 id="hq-trend-title">{t("hq.trend")}</h2>
      {data.times.length === 0 ? (
        <p class="muted">{t("hq.historyEmpty")}</p>
      ) : (
        <>
          <svg
            class="trend"
            viewBox={`0 0 ${BOX.width} ${BOX.height}`}
            role="img"
            aria-labelledby="hq-trend-svg-title hq-trend-desc"
          >
            <title id="hq-trend-svg-title">{t("hq.trend")}</title>
            <desc id="hq-trend-desc">{described}</desc>
            <g transform={`translate(${PAD.left} ${PAD.top})`}>
              {[0, top / 2, top].map((tick) => {
                const y = inner.height - (tick / top) * inner.height;
                return (
                  <g key={tick}>
                    <line x1={0} x2={inner.width} y1={y} y2={y} class="grid" />
                    <text x={-6} y={y + 4} text-anchor="end">
                      {tick}
                    </text>
                  </g>
                );
              })}
              <text x={0} y={inner.height + 16}>
                {shortTime(data.from)}
              </text>
              <text x={inner.width} y={inner.height + 16} text-anchor="end">
                {shortTime(data.to)}
              </text>
              {towns.map((town, i) => {
                const line = LINES[i % LINES.length] as (typeof LINES)[number];
                return (
                  <polyline
                    key={town.code}
                    points={points(town.people, top, inner)}
                    fill="none"
                    stroke={line.colour}
                    stroke-width={2}
                    stroke-dasharray={line.dash}
                  />
                );
              })}
              <polyline points={points(data.all, top, inner)} fill="none" stroke="#1b1b1b" stroke-width={3} />
            </g>
          </svg>
          <p class="muted trend-legend" aria-hidden="true">
            <span>
              <svg width="28" height="8" aria-hidden="true">
                <line x1="0" x2="28" y1="4" y2="4" stroke="#1b1b1b" stroke-width="3" />
              </svg>
              {t("hq.trendAll")} {now}
            </span>
            {towns.map((town, i) => {
              const line = LINES[i % LINES.length] as (typeof LINES)[number];
              return (
                <span key={town.code}>
                  <svg width="28" height="8" aria-hidden="true">
                    <line
                      x1="0"
                      x2="28"
                      y1="4"
                      y2="4"
                      stroke={line.colour}
                      stroke-width="2"
                      stroke-dasharray={line.dash}
                    />
                  </svg>
                  {town.name} {town.people.at(-1) ?? 0}
                </span>
              );
            })}
          </p>
          <details>
            <summary>{t("hq.trendTable")}</summary>
            <table class="occupancy">
              <thead>
                <tr>
                  <th scope="col">{t("hq.time")}</th>
                  <th scope="col">{t("hq.trendAll")}</th>
                  {towns.map((town) => (
                    <th key={town.code} scope="col">
                      {town.name}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map(({ time, i }) => (
                  <tr key={time}>
                    <th scope="row">{shortTime(time)}</th>
                    <td>{data.all[i]}</td>
                    {towns.map((town) => (
                      <td key={town.code}>{town.people[i]}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </>
      )}
    </section>
  );
}
