/* A probed device's registered unit: baseline and lock; see probeunit.h. */
#include "probeunit.h"

#include "db.h"
#include "home.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct terra_probeunit {
	terra_home home; /* dir, and db when the home has one */
	terra_unit_finder *find;
	const char *why_not;
};

int terra_probeunit_open(const char *dir, terra_probeunit **out, terra_err *e)
{
	terra_probeunit *pu = calloc(1, sizeof *pu);
	char path[PATH_MAX];
	struct stat st;

	*out = NULL;
	if (!pu)
		return terra_err_set(e, TERRA_E_SYS, "registered units: out of memory");
	pu->why_not = "no terra home";
	*out = pu;
	if (terra_home_path(dir, pu->home.dir, sizeof pu->home.dir, e) < 0) {
		terra_err_clear(e);
		pu->home.dir[0] = '\0';
		return 0;
	}
	if (terra_home_file(&pu->home, TERRA_DB_FILE, path, sizeof path, e) < 0 ||
	    stat(path, &st) < 0) {
		terra_err_clear(e);
		return 0;
	}
	if (terra_db_open(&pu->home.db, path, TERRA_DB_READONLY, e) < 0 ||
	    terra_unit_finder_open(pu->home.db, &pu->find, e) < 0) {
		terra_probeunit_close(pu);
		*out = NULL;
		return terra_err_wrap(e, "registered baselines");
	}
	pu->why_not = NULL;
	return 0;
}

void terra_probeunit_close(terra_probeunit *pu)
{
	if (!pu)
		return;
	terra_unit_finder_close(pu->find);
	if (pu->home.db)
		terra_db_close(pu->home.db);
	free(pu);
}

const char *terra_probeunit_why_not(const terra_probeunit *pu)
{
	return pu->why_not;
}

json_t *terra_probeunit_find(terra_probeunit *pu, const char *fingerprint)
{
	return pu->find ? terra_unit_finder_active(pu->find, fingerprint) : NULL;
}

int terra_probeunit_lock(terra_probeunit *pu, const char *fingerprint, terra_unitlock *l,
                         char *busy, size_t busy_size, terra_err *e)
{
	json_t *unit = terra_probeunit_find(pu, fingerprint);
	const char *id = json_string_value(json_object_get(unit, "unit"));
	int ret = 0;

	l->fd = -1;
	if (id && terra_unitlock_take(&pu->home, id, "terra-probe", l, e) < 0) {
		ret = -1;
		if (e->kind == TERRA_E_BUSY) {
			snprintf(busy, busy_size, "%s", e->msg);
			terra_err_clear(e);
			ret = 1;
		}
	}
	json_decref(unit);
	return ret;
}
