#include "dryrun.h"

#include "db.h"

int terra_dryrun_begin(terra_home *h, terra_err *e)
{
	sqlite3 *mem = NULL;
	sqlite3_backup *b;
	int rc;

	if (sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		terra_db_err(mem, e, "dry run: copy the database");
		sqlite3_close_v2(mem);
		return -1;
	}
	sqlite3_extended_result_codes(mem, 1);
	if (!(b = sqlite3_backup_init(mem, "main", h->db, "main"))) {
		terra_db_err(mem, e, "dry run: copy the database");
		sqlite3_close_v2(mem);
		return -1;
	}
	rc = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		terra_db_err(h->db, e, "dry run: copy the database");
		sqlite3_close_v2(mem);
		return -1;
	}
	if (terra_db_exec(mem, "PRAGMA foreign_keys = ON", e) < 0) {
		sqlite3_close_v2(mem);
		return terra_err_wrap(e, "dry run");
	}
	terra_db_close(h->db);
	h->db = mem;
	return 0;
}
