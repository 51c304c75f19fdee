"""Exit 0 when the PostgreSQL and Redis URLs given answer, 1 (with the reason) otherwise."""

import sys

import psycopg
import redis


def main() -> int:
    pg_url, redis_url = sys.argv[1], sys.argv[2]
    try:
        with psycopg.connect(pg_url.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0] + "/postgres",
                             connect_timeout=3):
            pass
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except Exception as exc:  # any failure means "not reachable"; say why
        sys.stderr.write(f"not reachable: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
