import { ArrangeError } from "../core/errors.js";
import { knownFinite } from "../core/finite.js";
import type { Matrix, TaskIndex } from "../core/types.js";

function checkMatrix(m: Matrix, label: "train" | "test"): void {
  if (!(Number.isSafeInteger(m.rows) && m.rows >= 1)) {
    throw new ArrangeError("input", `the ${label} set is empty: at least one ${label} row is needed`, {
      fix: `Check the ${label} file and any filters; it must contain at least one example.`,
    });
  }
  if (!(Number.isSafeInteger(m.cols) && m.cols >= 1)) {
    throw new ArrangeError("embeddings", `${label} embeddings have ${m.cols} dimensions`, {
      fix: "Embeddings need at least one dimension.",
    });
  }
  // A float16-backed matrix (linalg/half.ts) is checked on its bits: touching `data` would convert it.
  const length = m.half !== undefined ? m.half.length : m.data.length;
  if (length !== m.rows * m.cols) {
    throw new ArrangeError(
      "embeddings",
      `${label} embeddings hold ${length} numbers, but ${m.rows} rows × ${m.cols} dimensions need ${m.rows * m.cols}`,
      { fix: "Re-create the embeddings from the same data." },
    );
  }
  // The float16 reader refused non-finite values (naming the file and row) before building the matrix.
  if (m.half !== undefined) return;
  const { data, rows, cols } = m;
  if (knownFinite(data)) return;
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    let z = 0;
    for (let k = 0; k < cols; k++) z += data[off + k]! * 0; // NaN iff some value is NaN or ±Infinity
    if (z !== 0) {
      throw new ArrangeError("embeddings", `${label} embedding row ${i + 1} contains NaN or Infinity`, {
        line: i + 1,
        fix: `Re-embed the ${label} data (row ${i + 1}, 1-based; index ${i}) or drop that example.`,
      });
    }
  }
}

/** Embeddings and tasks the algorithms can work with; each problem is an ArrangeError naming the row. */
export function validateInputs(train: Matrix, test: Matrix, tasks: TaskIndex): void {
  checkMatrix(train, "train");
  checkMatrix(test, "test");
  if (train.cols !== test.cols) {
    throw new ArrangeError(
      "embeddings",
      `train embeddings have ${train.cols} dimensions but test embeddings have ${test.cols}`,
      { fix: "Embed both sets with the same model." },
    );
  }
  if (tasks.taskOf.length !== train.rows) {
    throw new ArrangeError(
      "input",
      `the task index covers ${tasks.taskOf.length} rows but there are ${train.rows} training rows`,
      { fix: "Build the task index from the same training data." },
    );
  }
  const t = tasks.names.length;
  for (let i = 0; i < tasks.taskOf.length; i++) {
    const v = tasks.taskOf[i]!;
    if (!(v >= 0 && v < t)) {
      throw new ArrangeError(
        "input",
        `training row ${i + 1} has task id ${v}, but there are ${t} task names`,
        {
          line: i + 1,
          fix: "Build the task index from the same training data.",
        },
      );
    }
  }
}
