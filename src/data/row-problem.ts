/** Why one row cannot be used; the reader turns it into an error naming the file and line, or a skip. */
export class RowProblem extends Error {
  readonly fix: string;

  constructor(reason: string, fix: string) {
    super(reason);
    this.name = "RowProblem";
    this.fix = fix;
  }
}
