import { isPgUnavailable } from "@datahub/runtime";
import { NotFoundError, StoreUnavailableError } from "../errors";


/** Maps a pg error to a domain error where one applies; otherwise returns it unchanged. */
export function mapPgError(err: unknown): unknown {
  if (isPgUnavailable(err)) return new StoreUnavailableError(String((err as Error).message ?? err));
  const code = (err as { code?: string }).code;
  if (code === "23503") return new NotFoundError("org not found");
  return err;
}
