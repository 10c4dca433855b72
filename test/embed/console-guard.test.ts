import { afterEach, describe, expect, it, vi } from "vitest";
import { withConsoleOnStderr } from "../../src/embed/console-guard.js";

describe("withConsoleOnStderr", () => {
  afterEach(() => vi.restoreAllMocks());

  it("sends console.log/info/debug to stderr while the function runs, and restores them", async () => {
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const original = console.log;
    const bound = await withConsoleOnStderr(async () => {
      console.log("noise %d", 1);
      console.info("info");
      await withConsoleOnStderr(async () => console.debug("nested"));
      console.log("after nested");
      return console.log.bind(console);
    });
    expect(console.log).toBe(original);
    bound("late print from a bound function");
    const outCalls = out.mock.calls.length;
    const errText = err.mock.calls.map((c) => c[0]);
    vi.restoreAllMocks();
    expect(outCalls).toBe(0);
    expect(errText).toEqual([
      "noise 1\n",
      "info\n",
      "nested\n",
      "after nested\n",
      "late print from a bound function\n",
    ]);
  });

  it("restores the console when the function throws", async () => {
    const original = console.log;
    await expect(withConsoleOnStderr(async () => Promise.reject(new Error("x")))).rejects.toThrow("x");
    expect(console.log).toBe(original);
  });
});
