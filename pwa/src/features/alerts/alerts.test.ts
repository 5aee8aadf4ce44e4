import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { t } from "../../i18n";
import { circleRing, ring } from "./draw";
import { keepAlert, newestFirst, storedAlert, storedAlerts } from "./inbox";
import { actionKey, badgeKey, LEVEL_COLOURS, shelterHazard, speechLang } from "./levels";
import { type Platform, support } from "./push";
import { alertRoute } from "./route";

/** WCAG contrast of two #rrggbb colours. */
function contrast(a: string, b: string): number {
  const lum = (hex: string) => {
    const [r, g, bl] = [1, 3, 5].map((i) => {
      const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

describe("警戒レベル", () => {
  it("uses the Cabinet Office's colours, each with text that reads on it", () => {
    expect(LEVEL_COLOURS[5].background).toBe("#0c000c");
    expect(LEVEL_COLOURS[4].background).toBe("#aa00aa");
    expect(LEVEL_COLOURS[3].background).toBe("#ff2800");
    expect(LEVEL_COLOURS[2].background).toBe("#f2e700");
    for (const { background, text } of Object.values(LEVEL_COLOURS)) {
      expect(contrast(background, text)).toBeGreaterThanOrEqual(4.5);
    }
  });

  it("says the level in words and what to do, from the structure", () => {
    const order = { kind: "evacuation", level: 4, action: "issue" };
    expect(t(badgeKey(order))).toContain("4");
    expect(actionKey(order)).toBe("alerts.do.level4");
    expect(actionKey({ ...order, action: "cancel" })).toBe("alerts.do.lifted");
    expect(actionKey({ kind: "tsunami", level: 5, action: "issue" })).toBe("alerts.do.tsunami");
    // An earthquake's level field is no 警戒レベル: its badge names the kind.
    expect(badgeKey({ kind: "earthquake", level: 4, action: "issue" })).toBe("alerts.kind.earthquake");
  });

  it("asks nearest for shelters suitable for the alert's hazard", () => {
    expect(shelterHazard("flood")).toBe("flood");
    expect(shelterHazard("fire")).toBe("large_fire");
    expect(shelterHazard("heavy_rain")).toBeNull();
    expect(speechLang("en")).toBe("en-US");
    expect(speechLang("ja-easy")).toBe("ja-JP");
  });
});

describe("permission", () => {
  const base: Platform = {
    userAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/140",
    platform: "Linux x86_64",
    maxTouchPoints: 0,
    standalone: false,
    pushManager: true,
    notification: true,
  };
  it("tells an iPhone in Safari to add the app to the Home Screen first", () => {
    const iphone = { ...base, userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1" };
    expect(support(iphone)).toBe("ios-home-screen");
    expect(support({ ...iphone, standalone: true })).toBe("ok");
    // iPadOS says it is a Mac; its touch points give it away.
    expect(support({ ...base, platform: "MacIntel", maxTouchPoints: 5 })).toBe("ios-home-screen");
    expect(support(base)).toBe("ok");
    expect(support({ ...base, pushManager: false })).toBe("unsupported");
  });
});

describe("inbox", () => {
  it("keeps a push, merges its detail later, and lists newest first", async () => {
    await keepAlert({
      id: "a",
      kind: "warning",
      level: 3,
      headline: "old",
      action: "issue",
      issuedAt: "2026-11-01T00:00:00Z",
    });
    await keepAlert({ id: "b", kind: "evacuation", level: 4, headline: "push", action: "issue" });
    await keepAlert({
      id: "b",
      kind: "evacuation",
      level: 4,
      headline: "push",
      action: "issue",
      issuedAt: "2026-11-02T00:00:00Z",
      detail: { x: 1 },
    });
    expect((await storedAlerts()).map((a) => a.id)).toEqual(["b", "a"]);
    const b = await storedAlert("b");
    expect(b?.detail).toEqual({ x: 1 });
    expect(b?.receivedAt).toBeTruthy();
    expect(
      newestFirst([
        { id: "x", kind: "k", level: null, headline: "", action: "issue", receivedAt: "2026-12-01T00:00:00Z" },
        ...(await storedAlerts()),
      ])[0]?.id,
    ).toBe("x");
  });
});

describe("drawing an order", () => {
  it("closes the ring once there are three corners", () => {
    expect(
      ring([
        [140, 40],
        [141, 40],
      ]),
    ).toBeNull();
    expect(
      ring([
        [140, 40],
        [141, 40],
        [141, 41],
      ]),
    ).toEqual([
      [140, 40],
      [141, 40],
      [141, 41],
      [140, 40],
    ]);
    const circle = circleRing(40.8, 140.7, 1000);
    expect(circle[0]).toEqual(circle.at(-1));
    expect(Math.abs((circle[12]?.[1] ?? 0) - 40.8 - 1000 / 111_320)).toBeLessThan(1e-9);
  });
});

describe("ここへの避難ルート from an alert", () => {
  const shelter = { id: "f-1", properties: { name: "A小学校" }, geometry: { coordinates: [140.76, 40.81] } };

  it("goes to the listed shelter avoiding the alert's hazard, from the resident's point", () => {
    const { target, start } = alertRoute(shelter, shelterHazard("high_waves"), { lat: 40.8, lon: 140.75 }, null);
    expect(target).toEqual({ facilityId: "f-1", name: "A小学校", lat: 40.81, lon: 140.76, hazard: "storm_surge" });
    expect(start).toEqual({ lat: 40.8, lon: 140.75, origin: "point" });
  });

  it("keeps a place chosen on the map, and without one leaves the start to the route panel", () => {
    const here = { lat: 40.79, lon: 140.74, origin: "here" as const };
    expect(alertRoute(shelter, "flood", { lat: 40.8, lon: 140.75 }, here).start).toBe(here);
    const { target, start } = alertRoute(shelter, null, null, null);
    expect(start).toBeNull();
    expect(target.hazard).toBeUndefined(); // the route panel's own choice (the nearest list's)
  });
});
