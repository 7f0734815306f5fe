/* SPDX-License-Identifier: BSD-3-Clause */
/* The controller's SQLite database (store.c). */
#ifndef NCTL_STORE_H
#define NCTL_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include <sqlite3.h>

int nctl_store_open(sqlite3 **db, const char *path, bool sync_full,
	char *err, size_t errlen);
int nctl_store_exec(sqlite3 *db, const char *sql);
int nctl_store_begin(sqlite3 *db);
/* COMMIT, or ROLLBACK and -1 when the commit failed. */
int nctl_store_commit(sqlite3 *db);
void nctl_store_rollback(sqlite3 *db);

#endif /* NCTL_STORE_H */
