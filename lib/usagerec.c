#include "usagerec.h"

#include "record.h"
#include "time.h"

int terra_usage_record(const terra_usage_fields *u, json_t **out, terra_err *e)
{
	char start[TERRA_TIME_MAX], end[TERRA_TIME_MAX];
	json_t *rec = json_object();

	*out = NULL;
	if (!rec)
		return terra_err_sys(e, "usage record");
	terra_time_format(u->start_us, start);
	terra_time_format(u->end_us, end);
	if (terra_rec_set(rec, "type", json_string("usage"), e) < 0 ||
	    terra_rec_set(rec, "v", json_integer(1), e) < 0 ||
	    terra_rec_set(rec, "unit", json_string(u->unit), e) < 0 ||
	    terra_rec_set(rec, "job", json_string(u->job), e) < 0 ||
	    terra_rec_set(rec, "workload", json_string(u->workload), e) < 0 ||
	    terra_rec_set(rec, "start", json_string(start), e) < 0 ||
	    terra_rec_set(rec, "end", json_string(end), e) < 0 ||
	    terra_rec_set(rec, "busy_us", json_integer(u->busy_us), e) < 0 ||
	    terra_rec_set(rec, "work", json_integer(u->work), e) < 0 ||
	    terra_rec_set(rec, "final", json_boolean(u->final), e) < 0 ||
	    (u->slurm && terra_rec_set(rec, "slurm", json_deep_copy(u->slurm), e) < 0)) {
		json_decref(rec);
		return -1;
	}
	*out = rec;
	return 0;
}
