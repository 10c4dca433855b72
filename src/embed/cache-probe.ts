/**
 * Child process of the embedding cache check (cache-check.ts): opens the LMDB store given as the argument
 * read-only and reads every entry. Exits 0 when that works; a damaged file makes it fail or crash here,
 * in the child, instead of in the run that wants to use the cache.
 */
import { open } from "lmdb";

const path = process.argv[2];
if (path === undefined) {
  console.error("usage: cache-probe STORE_DIR");
  process.exit(2);
}
try {
  const db = open<Buffer, Buffer>({
    path,
    encoding: "binary",
    keyEncoding: "binary",
    compression: false,
    readOnly: true,
  });
  let entries = 0;
  let bytes = 0;
  for (const { value } of db.getRange({})) {
    entries++;
    bytes += value.length;
  }
  await db.close();
  console.log(JSON.stringify({ entries, bytes }));
} catch (e) {
  console.error(String(e));
  process.exit(1);
}
