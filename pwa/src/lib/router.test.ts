import { describe, expect, it } from "vitest";
import { AREAS, href, parseRoute } from "./router";

describe("routes", () => {
  it("reads area and screen from the hash, falling back to the resident map", () => {
    expect(parseRoute("#/staff/scan")).toEqual({ area: "staff", screen: "scan" });
    expect(parseRoute("#/hq")).toEqual({ area: "hq", screen: "dashboard" });
    expect(parseRoute("#/staff/dashboard")).toEqual({ area: "staff", screen: "shelter" });
    expect(parseRoute("")).toEqual({ area: "resident", screen: "map" });
    expect(parseRoute("#/nowhere/x")).toEqual({ area: "resident", screen: "map" });
  });

  it("every screen's link reads back as itself", () => {
    for (const [area, screens] of Object.entries(AREAS)) {
      for (const screen of screens)
        expect(parseRoute(href(area as keyof typeof AREAS, screen))).toEqual({ area, screen });
    }
  });
});
