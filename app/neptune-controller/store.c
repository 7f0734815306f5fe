/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The controller's database: SQLite in WAL mode. Every write the service
 * accepts is one transaction committed before the reply, so a crash
 * (kill -9) loses nothing that was acknowledged. durability: full adds an
 * fsync of the WAL at every commit (power loss too); normal relies on the
 * WAL surviving the process.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "nctl_store.h"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS devices ("
	" device_id TEXT PRIMARY KEY,"
	" device_type TEXT NOT NULL,"
	" name TEXT,"
	" credential TEXT NOT NULL,"
	" idx4 INTEGER UNIQUE,"		/* tun_ipv4_pool index */
	" idx6 INTEGER UNIQUE,"		/* tun_ipv6_pool index */
	" tun_ipv4 TEXT, tun_ipv6 TEXT,"
	" info TEXT,"			/* JSON: addresses, capabilities */
	" registered_at REAL NOT NULL, updated_at REAL NOT NULL,"
	" status TEXT, last_seen REAL,"
	" config TEXT, config_version INTEGER NOT NULL DEFAULT 0,"
	" pending_config TEXT, pending_version INTEGER,"
	" config_result TEXT,"		/* JSON: version, result, error */
	" decision_server TEXT, decision_since REAL, decision_score REAL);"
	"CREATE TABLE IF NOT EXISTS servers ("
	" server_id TEXT PRIMARY KEY, data TEXT NOT NULL,"
	" last_report REAL NOT NULL);"
	"CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT);";

int
nctl_store_open(sqlite3 **out, const char *path, bool sync_full, char *err,
	size_t errlen)
{
	sqlite3 *db = NULL;
	char *msg = NULL;
	char pragmas[256];

	if (sqlite3_open_v2(path, &db,
		    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX,
		    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
			db != NULL ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return -1;
	}
	snprintf(pragmas, sizeof(pragmas),
		"PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;"
		" PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;",
		sync_full ? "FULL" : "NORMAL");
	if (sqlite3_exec(db, pragmas, NULL, NULL, &msg) != SQLITE_OK ||
		sqlite3_exec(db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : "?");
		sqlite3_free(msg);
		sqlite3_close(db);
		return -1;
	}
	*out = db;
	return 0;
}

int
nctl_store_exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int
nctl_store_begin(sqlite3 *db)
{
	return nctl_store_exec(db, "BEGIN IMMEDIATE");
}

int
nctl_store_commit(sqlite3 *db)
{
	if (nctl_store_exec(db, "COMMIT") == 0)
		return 0;
	nctl_store_exec(db, "ROLLBACK");
	return -1;
}

void
nctl_store_rollback(sqlite3 *db)
{
	nctl_store_exec(db, "ROLLBACK");
}
