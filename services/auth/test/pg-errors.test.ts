import { NotFoundError, StoreUnavailableError } from "../src/errors";
import { isPgUnavailable } from "@datahub/runtime";
import { mapPgError } from "../src/store/pg-errors";

describe("Postgres error classification", () => {
  it.each([
    [{ code: "ECONNREFUSED", message: "connect ECONNREFUSED 127.0.0.1:5432" }],
    [{ code: "ECONNRESET", message: "read ECONNRESET" }],
    [{ code: "57P01", message: "terminating connection due to administrator command" }],
    [{ code: "57P03", message: "the database system is starting up" }],
    [{ code: "57014", message: "canceling statement due to statement timeout" }],
    [{ code: "08006", message: "connection failure" }],
    [{ message: "timeout exceeded when trying to connect" }],
    [{ message: "Connection terminated unexpectedly" }],
    [{ message: "Cannot use a pool after calling end on the pool" }],
    [Object.assign(new AggregateError([{ code: "ECONNREFUSED" }, { code: "ECONNREFUSED" }]), { message: "" })],
  ])("%o means unavailable", (err) => {
    expect(isPgUnavailable(err)).toBe(true);
    expect(mapPgError(err)).toBeInstanceOf(StoreUnavailableError);
  });

  it.each([[{ code: "23505", message: "duplicate key" }], [{ code: "42P01", message: "relation does not exist" }], [new Error("boom")], [null]])(
    "%o is not an outage",
    (err) => expect(isPgUnavailable(err)).toBe(false),
  );

  it("a foreign-key violation means the org does not exist", () => {
    expect(mapPgError({ code: "23503", message: "violates foreign key" })).toBeInstanceOf(NotFoundError);
  });

  it("the StoreUnavailableError message does not echo connection details", () => {
    const e = mapPgError({ code: "ECONNREFUSED", message: "connect ECONNREFUSED 10.0.0.5:5432" }) as StoreUnavailableError;
    expect(e.message).toBe("auth store unavailable");
  });
});
