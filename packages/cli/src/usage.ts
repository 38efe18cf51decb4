/** A wrong command line; printed as one line without a stack trace, exit code 64. */
export class UsageError extends Error {
  override name = "UsageError";
}

export const HELP = `datahub — API gateway: API keys, rate limiting, request logs, webhooks

Usage:
  datahub start                       run the services named by DATAHUB_TARGET (default: all)
  datahub migrate                     apply every service's database migrations
  datahub orgs create <name>          create an organisation
  datahub orgs list                   list organisations
  datahub keys create --org <id> --name <name> [--scopes a,b] [--expires-at ISO]
                      [--rate-limit <limit>/<windowSeconds>]
                                      create an API key; the key is printed once
  datahub keys list --org <id>        list an org's keys (never their secrets)
  datahub keys revoke <keyId> --org <id>
                                      revoke a key on every edge within a second
  datahub keys generate-root          print a new, unused root key value (for DATAHUB_ROOT_KEY)
  datahub config validate [file]      check a datahub.yaml (default: DATAHUB_CONFIG or ./datahub.yaml)
                                      as start-up does; exit 0 valid, 65 invalid, 66 unreadable
  datahub echo [--port 9000] [--host 127.0.0.1]
                                      a demo upstream answering with what it received (quick start)
  datahub --help | --version

Configuration comes from the environment (DATABASE_URL, REDIS_URL, DATAHUB_*): see README.md.
Variables the environment leaves unset are read from .datahub.env at the repository root.
Key and org commands work directly on the auth service's database.`;
