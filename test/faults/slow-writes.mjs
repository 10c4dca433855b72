// Preload for fault tests (node --import): every FileHandle.write waits SLOW_WRITE_MS first, so the write
// stage of a command lasts long enough for a test to signal the process while it writes.
import { open } from "node:fs/promises";

const ms = Number(process.env.SLOW_WRITE_MS ?? "0");
if (ms > 0) {
  const probe = await open("/dev/null", "r");
  const proto = Object.getPrototypeOf(probe);
  await probe.close();
  const write = proto.write;
  proto.write = async function (...args) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return write.apply(this, args);
  };
}
