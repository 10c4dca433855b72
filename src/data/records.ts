import { createHash } from "node:crypto";
import { usageError } from "../core/errors.js";
import { DatasetCollector } from "./collect.js";
import { RowProblem } from "./row-problem.js";
import { parseTemplate } from "./template.js";
import type { Dataset, ReadOptions } from "./types.js";

/**
 * Records held in memory (library use: `arrange({ train: records, test: records })`) read as a dataset:
 * the same layout detection, text extraction, task fields and row checks as a file; the "file" is named
 * `<label records>` in messages and rows by their 1-based position in the array. The records are kept
 * (Dataset.records) so an arranged output can be written as JSON Lines.
 */
export function readRecords(records: readonly unknown[], options: ReadOptions = {}): Dataset {
  if (!Array.isArray(records))
    throw usageError(
      "in-memory records must be an array of objects",
      options.label === "test" ? "test" : "train",
    );
  const label = options.label ?? "records";
  const name = `<${label} records>`;
  const template = options.template === undefined ? undefined : parseTemplate(options.template);
  const collector = new DatasetCollector(name, false, { ...options, keepRecords: true }, template);
  collector.beginFile({ path: name, format: "jsonl", task: label });
  const hash = createHash("sha256");
  records.forEach((r, i) => {
    if (r === null || typeof r !== "object" || Array.isArray(r)) {
      collector.invalid(
        i + 1,
        new RowProblem(
          `record ${i} is ${r === null ? "null" : Array.isArray(r) ? "an array" : typeof r}, not an object`,
          "pass an array of plain objects, or skipInvalid: true to skip such records",
        ),
      );
      return;
    }
    hash.update(`${JSON.stringify(r, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}\n`);
    collector.record(r as Record<string, unknown>, i + 1, -1, -1);
  });
  collector.endFile({ bytes: 0, sha256: hash.digest("hex") });
  const ds = collector.finish([]);
  ds.inMemory = true;
  return ds;
}
