import { describe, expect, it } from "vitest";
import { LineSplitter, ProtocolError, parseEvent } from "../../src/trainer/protocol.js";

describe("trainer protocol", () => {
  it("parses well-formed events", () => {
    const e = parseEvent(
      '{"event":"step","step":3,"examples":48,"loss":2.5,"tokens":40,"lr":0.001,"seconds":0.1}',
      1,
    );
    expect(e).toMatchObject({ event: "step", step: 3, loss: 2.5 });
    const ev = parseEvent('{"event":"eval","step":0,"examples":0,"lossSum":[1.5,null],"tokens":[3,0]}', 2);
    expect(ev.event).toBe("eval");
    expect(
      parseEvent('{"event":"step","step":1,"examples":16,"loss":null,"tokens":0,"lr":0.1}', 3),
    ).toMatchObject({
      loss: null,
    });
  });

  it("names the line and the field of a malformed event", () => {
    expect(() => parseEvent("Traceback (most recent call last):", 7)).toThrow(/line 7 is not JSON/);
    expect(() => parseEvent("[1,2]", 2)).toThrow(/not a JSON object/);
    expect(() => parseEvent('{"event":"bogus"}', 4)).toThrow(/unknown event "bogus"/);
    expect(() => parseEvent('{"step":1}', 4)).toThrow(/unknown event/);
    expect(() =>
      parseEvent('{"event":"step","step":"3","examples":1,"loss":1,"tokens":1,"lr":1}', 5),
    ).toThrow(/field "step" should be number/);
    expect(() =>
      parseEvent('{"event":"eval","step":1,"examples":1,"lossSum":[1,"x"],"tokens":[1,1]}', 6),
    ).toThrow(ProtocolError);
  });

  it("splits chunks into lines across chunk borders", () => {
    const s = new LineSplitter();
    expect(s.push('{"a"')).toEqual([]);
    expect(s.push(':1}\n{"b":2}\n{"c"')).toEqual(['{"a":1}', '{"b":2}']);
    expect(s.end()).toEqual(['{"c"']);
    expect(s.end()).toEqual([]);
  });
});
