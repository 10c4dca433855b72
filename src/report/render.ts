import { existsSync, readFileSync } from "node:fs";
import { Resvg } from "@resvg/resvg-js";
import { parse, type Spec as VegaSpec, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { ArrangeError, usageError } from "../core/errors.js";

/** Compile a Vega-Lite spec to Vega (what the page and the images render). */
export function toVega(spec: TopLevelSpec): VegaSpec {
  try {
    return compile(spec).spec as VegaSpec;
  } catch (cause) {
    throw new ArrangeError("internal", `a chart spec does not compile: ${(cause as Error).message}`, {
      fix: "please report this with the analysis files used",
      cause,
    });
  }
}

/**
 * Vega numbers gradient and clip-path ids with counters that live as long as the process: renumber
 * them from 0 in order of appearance, so that a chart's SVG does not depend on what was drawn before.
 */
export function renumberSvgIds(svg: string): string {
  const ids = new Map<string, string>();
  const next = new Map<string, number>();
  return svg.replace(/(?<=id="|url\(#)(gradient_|clip)(\d+)(?=[")])/g, (whole, prefix: string) => {
    let id = ids.get(whole);
    if (id === undefined) {
      const n = next.get(prefix) ?? 0;
      next.set(prefix, n + 1);
      id = `${prefix}${n}`;
      ids.set(whole, id);
    }
    return id;
  });
}

/** Draw a Vega spec as SVG text in Node (no browser, no canvas; text widths are estimated). */
export async function vegaToSvg(spec: VegaSpec): Promise<string> {
  const view = new View(parse(spec), { renderer: "none" });
  try {
    return renumberSvgIds(await view.toSVG());
  } finally {
    view.finalize();
  }
}

/** Fonts tried, in order, when no font is given: DejaVu Sans (Debian `fonts-dejavu-core`) first. */
export const FONT_CANDIDATES = [
  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/TTF/DejaVuSans.ttf",
  "/usr/share/fonts/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
  "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
  "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
  "/System/Library/Fonts/Supplemental/Arial.ttf",
  "C:\\Windows\\Fonts\\arial.ttf",
];

/**
 * The one font file PNG text is drawn with: `font` when given (it must exist), else the first of
 * FONT_CANDIDATES present. Only this file is loaded (never the system's font list), so the same
 * font file gives the same pixels on every machine.
 */
export function findFont(font?: string): string {
  if (font !== undefined) {
    if (!existsSync(font))
      throw new ArrangeError("io", "the font file does not exist", {
        file: font,
        option: "--font",
        fix: "pass a .ttf or .otf file, e.g. --font /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
      });
    checkFontDraws(font);
    return font;
  }
  const found = FONT_CANDIDATES.find((f) => existsSync(f));
  if (found === undefined)
    throw usageError(
      "no font found to draw the PNG charts' text",
      "--png-dir",
      "install DejaVu Sans (Debian/Ubuntu: apt-get install fonts-dejavu-core) or pass --font FILE.ttf; --svg-dir needs no font",
    );
  return found;
}

/**
 * A font file resvg can draw text with: its first bytes are a TrueType/OpenType signature and a probe
 * text rendered with it puts ink on the canvas (resvg silently draws no text with an unusable font).
 */
export function checkFontDraws(font: string): void {
  let head: Buffer;
  try {
    head = readFileSync(font).subarray(0, 4);
  } catch (cause) {
    throw new ArrangeError("io", `cannot read the font file: ${(cause as Error).message}`, {
      file: font,
      option: "--font",
      fix: "pass a readable .ttf or .otf file",
      cause,
    });
  }
  const signature = head.toString("latin1");
  const known = ["\x00\x01\x00\x00", "OTTO", "true", "ttcf"].includes(signature);
  const probe =
    '<svg xmlns="http://www.w3.org/2000/svg" width="48" height="24"><text x="2" y="18" font-size="18" font-family="sans-serif">Hg8</text></svg>';
  let ink = false;
  if (known) {
    try {
      const pixels = new Resvg(probe, {
        font: { loadSystemFonts: false, fontFiles: [font], defaultFontFamily: "sans-serif" },
        background: "white",
      }).render().pixels;
      for (let i = 0; i < pixels.length; i += 4) {
        if (pixels[i]! < 128) {
          ink = true;
          break;
        }
      }
    } catch {
      ink = false;
    }
  }
  if (!ink)
    throw new ArrangeError(
      "input",
      known
        ? "the font file draws no text (it has no usable glyphs)"
        : "not a TrueType or OpenType font file",
      {
        file: font,
        option: "--font",
        fix: "pass a .ttf or .otf font file, e.g. --font /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
      },
    );
}

/** Rasterize an SVG with one font file, on white, `scale` pixels per SVG pixel. */
export function svgToPng(svg: string, fontFile: string, scale = 2): Buffer {
  const resvg = new Resvg(svg, {
    font: { loadSystemFonts: false, fontFiles: [fontFile], defaultFontFamily: "sans-serif" },
    fitTo: { mode: "zoom", value: scale },
    background: "white",
  });
  return resvg.render().asPng();
}

/** Rasterize an SVG with one font file, on white, at exactly `width` pixels wide (the height follows). */
export function svgToPngWidth(svg: string, fontFile: string, width: number): Buffer {
  const resvg = new Resvg(svg, {
    font: { loadSystemFonts: false, fontFiles: [fontFile], defaultFontFamily: "sans-serif" },
    fitTo: { mode: "width", value: Math.round(width) },
    background: "white",
  });
  return resvg.render().asPng();
}

/** Give an SVG a physical size: `inches` wide, its height in proportion (the viewBox keeps the drawing). */
export function svgInInches(svg: string, inches: number): string {
  return svg.replace(
    /^(<svg[^>]*?)\swidth="([\d.]+)"\s+height="([\d.]+)"/,
    (_all, head: string, w: string, h: string) => {
      const height = (inches * Number(h)) / Number(w);
      return `${head} width="${inches}in" height="${Number(height.toFixed(4))}in"`;
    },
  );
}
