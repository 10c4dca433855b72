import { describe, expect, it } from "vitest";
import { ArrangeError } from "../../src/core/errors.js";
import { detectLayout, END_MARKERS, joinParts, TextExtractor } from "../../src/data/layout.js";
import { readDataset } from "../../src/data/read.js";
import { RowProblem } from "../../src/data/row-problem.js";
import { lookupField, parseTemplate, renderTemplate } from "../../src/data/template.js";
import { jsonl, put, rejection, tempDir } from "./util.js";

const dir = await tempDir();

async function textsOf(name: string, rows: unknown[], template?: string) {
  const ds = await readDataset(await put(dir, name, jsonl(rows)), { template });
  return { texts: ds.texts, layout: ds.files[0]!.layout, markers: ds.strippedMarkers };
}

describe("layouts", () => {
  it("alpaca: instruction, optional input, output", async () => {
    const r = await textsOf("alpaca.jsonl", [
      { instruction: "Summarize.", input: " Long text. ", output: "Short.</s>" },
      { instruction: "Say hi", output: "hi" },
      { instruction: "Count", input: null, output: 3 },
      { instruction: "Empty input", input: "", output: "ok" },
    ]);
    expect(r.layout).toBe("alpaca");
    expect(r.texts).toEqual(["Summarize. Long text. Short.", "Say hi hi", "Count 3", "Empty input ok"]);
    expect(r.markers).toBe(1);
  });

  it("prompt-completion", async () => {
    const r = await textsOf("pc2.jsonl", [{ prompt: "Q:\nwhy?\n", completion: "\nbecause<|eot_id|>" }]);
    expect(r).toMatchObject({ layout: "prompt-completion", texts: ["Q:\nwhy? because"], markers: 1 });
  });

  it("sharegpt: every turn's text", async () => {
    const r = await textsOf("sharegpt.jsonl", [
      {
        conversations: [
          { from: "system", value: "Be nice." },
          { from: "human", value: "Hello" },
          { from: "gpt", value: "Hi there!<|im_end|>" },
          { from: "human", value: "  " },
        ],
      },
    ]);
    expect(r).toMatchObject({ layout: "sharegpt", texts: ["Be nice. Hello Hi there!"], markers: 1 });
  });

  it("messages: string content, text parts, null content", async () => {
    const r = await textsOf("messages.jsonl", [
      {
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "Look" },
              { type: "image_url", image_url: {} },
              { type: "text", text: "here" },
            ],
          },
          { role: "assistant", content: null, tool_calls: [] },
          { role: "assistant", content: "Done.<|end_of_text|>" },
        ],
      },
    ]);
    expect(r).toMatchObject({ layout: "messages", texts: ["Look here Done."], markers: 1 });
  });

  it("text", async () => {
    const r = await textsOf("text.jsonl", [{ text: "  plain <|endoftext|></s> " }]);
    expect(r).toMatchObject({ layout: "text", texts: ["plain"], markers: 2 });
  });

  it("rejects a malformed turn", async () => {
    const path = await put(
      dir,
      "badturn.jsonl",
      jsonl([{ conversations: [{ from: "human", value: "a" }] }, { conversations: [{ from: "human" }] }]),
    );
    const e = await rejection(readDataset(path));
    expect([e.line, e.message]).toEqual([2, 'conversations[0] has no "value"']);
  });

  it("rejects a field of the wrong type", async () => {
    const path = await put(dir, "badtype.jsonl", jsonl([{ prompt: "a", completion: { x: 1 } }]));
    const e = await rejection(readDataset(path));
    expect(e.message).toBe('field "completion" is an object, not text');
  });

  it("strips every known marker", () => {
    const x = new TextExtractor("text");
    for (const m of END_MARKERS) {
      expect(x.extract({ text: `hello ${m}` })).toBe("hello");
      expect(x.markers).toBe(1);
    }
    expect(x.extract({ text: "<|endoftext|> in the middle" })).toBe("<|endoftext|> in the middle");
    expect(x.markers).toBe(0);
  });

  it("detects layouts in a fixed order", () => {
    expect(detectLayout({ messages: [], text: "t" })).toBe("messages");
    expect(detectLayout({ conversations: [] })).toBe("sharegpt");
    expect(detectLayout({ instruction: "", output: "" })).toBe("alpaca");
    expect(detectLayout({ prompt: "", completion: "", text: "x" })).toBe("prompt-completion");
    expect(detectLayout({ text: 3 })).toBeUndefined();
    expect(detectLayout({ instruction: "x" })).toBeUndefined();
  });

  it("joins trimmed non-empty parts with one space", () => {
    expect(joinParts([" a ", "", "  ", "b\n"])).toBe("a b");
  });
});

describe("templates", () => {
  it("renders fields, dotted paths and literal braces", async () => {
    const r = await textsOf(
      "tpl.jsonl",
      [
        { q: "What?", meta: { src: "web" }, a: "That.<|endoftext|>", n: null },
        { q: "Who?", meta: { src: "book" }, a: 42, n: "x" },
      ],
      "{{{q}}} [{meta.src}] {n}{a}",
    );
    expect(r.layout).toBe("template");
    expect(r.texts).toEqual(["{What?} [web] That.", "{Who?} [book] x42"]);
    expect(r.markers).toBe(1);
  });

  it("a missing placeholder field makes the row invalid", async () => {
    const path = await put(dir, "tplmiss.jsonl", jsonl([{ a: "1", b: "2" }, { a: "3" }]));
    const e = await rejection(readDataset(path, { template: "{a} {b}" }));
    expect([e.code, e.line]).toEqual(["input", 2]);
    expect(e.message).toContain('no field "b"');
    const ds = await readDataset(path, { template: "{a} {b}", skipInvalid: true });
    expect(ds.texts).toEqual(["1 2"]);
    expect(ds.skippedCount).toBe(1);
  });

  it("overrides layout detection", async () => {
    const r = await textsOf("tplover.jsonl", [{ prompt: "p", completion: "c", extra: "e" }], "{extra}");
    expect(r).toMatchObject({ layout: "template", texts: ["e"] });
  });

  it("rejects malformed templates as usage errors", () => {
    for (const bad of ["{a", "a}", "{}", "no placeholders", "{{a}}", "{a{b}"]) {
      let err: unknown;
      try {
        parseTemplate(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(ArrangeError);
      expect((err as ArrangeError).code).toBe("usage");
      expect((err as ArrangeError).option).toBe("--template");
    }
  });

  it("looks fields up by full name before dotted path", () => {
    expect(lookupField({ "a.b": 1, a: { b: 2 } }, "a.b")).toBe(1);
    expect(lookupField({ a: { b: 2 } }, "a.b")).toBe(2);
    expect(lookupField({ a: [{ t: "x" }] }, "a.0.t")).toBe("x");
    expect(lookupField({ a: 1 }, "a.b")).toBeUndefined();
    expect(() => renderTemplate(parseTemplate("{z}"), {})).toThrow(RowProblem);
    expect(renderTemplate(parseTemplate("{o}|{b}"), { o: { k: [1] }, b: true })).toBe('{"k":[1]}|true');
  });
});
