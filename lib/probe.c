#define CL_USE_DEPRECATED_OPENCL_1_2_APIS /* clCreateCommandQueue for 1.x platforms */
#include "probe.h"
#include "bench.h"
#include "db.h"
#include "health.h"
#include "home.h"
#include "hostload.h"
#include "ocl.h"
#include "probeunit.h"
#include "record.h"
#include "time.h"
#include "topo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The recording in memory: {"host": line, "topology": line or absent,
 * "platforms": [line...], "devices": [line...]}, each line an object as
 * the file holds it.
 */

static int oom(terra_err *e)
{
	return terra_err_set(e, TERRA_E_SYS, "probe: out of memory");
}

static json_t *new_line(const char *type)
{
	return json_pack("{s:s, s:i}", "type", type, "v", 1);
}

static const char *str_of(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* The fingerprint of a device line of the recording rec. */
static void fingerprint_of(const json_t *rec, const json_t *dline, char fp[65])
{
	const json_t *host = json_object_get(rec, "host");
	const json_t *pline =
	    json_array_get(json_object_get(rec, "platforms"),
	                   (size_t)json_integer_value(json_object_get(dline, "platform")));

	terra_ocl_fingerprint(str_of(host, "machine"), str_of(pline, "name"),
	                      str_of(dline, "vendor"), str_of(dline, "name"), str_of(dline, "kind"),
	                      json_string_value(json_object_get(dline, "pci_bus_id")),
	                      (int)json_integer_value(json_object_get(dline, "device")),
	                      json_integer_value(json_object_get(dline, "global_mem_bytes")), fp);
}

/* ---- live ------------------------------------------------------------- */

struct progress_arg {
	const terra_probe_opts *o;
	int index;
};

static void bench_progress(void *arg, const char *what)
{
	struct progress_arg *p = arg;

	p->o->progress(p->o->arg, p->index, what);
}

static cl_command_queue make_queue(cl_context ctx, cl_device_id dev, cl_int *rc)
{
	cl_queue_properties props[] = {CL_QUEUE_PROPERTIES, CL_QUEUE_PROFILING_ENABLE, 0};
	cl_command_queue q = clCreateCommandQueueWithProperties(ctx, dev, props, rc);

	if (*rc != CL_SUCCESS)
		q = clCreateCommandQueue(ctx, dev, CL_QUEUE_PROFILING_ENABLE, rc);
	return q;
}

/* The workloads' figures into bench, or the "bench" check failing with why. */
static int work_bench(const terra_probe_opts *o, cl_context ctx, cl_command_queue q,
                      cl_device_id dev, int index, json_t *bench, json_t *checks, terra_err *e)
{
	int quick = o->bench == TERRA_PROBE_BENCH_QUICK, others;
	terra_err we = {0};
	terra_hostload load;

	if (o->progress)
		o->progress(o->arg, index, "workloads");
	terra_hostload_start(&load);
	if (o->work_bench(o->work_arg, ctx, q, dev, quick, bench, &we) < 0) {
		if (we.kind == TERRA_E_SYS)
			return terra_err_set(e, we.kind, "%s", we.msg);
		return terra_health_add(checks, "bench", "fail", we.msg, e);
	}
	/* how the figures were taken: what terra-register rescores by */
	others = terra_hostload_others_pct(&load);
	if (json_object_set_new(bench, "mode", json_string(quick ? "quick" : "full")) < 0 ||
	    (others >= 0 &&
	     json_object_set_new(bench, "host_others_pct", json_integer(others)) < 0))
		return oom(e);
	return 0;
}

/* Health checks and benchmarks of one device into its recording line. */
static int measure_device(const terra_probe_opts *o, cl_platform_id p, cl_device_id dev, int index,
                          json_t *line, terra_err *e)
{
	cl_context_properties cprops[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)p, 0};
	struct progress_arg parg = {o, index};
	terra_bench_opts bo = {.quick = o->bench == TERRA_PROBE_BENCH_QUICK};
	cl_context ctx = NULL;
	cl_command_queue q = NULL;
	terra_bench b;
	terra_err be;
	json_t *checks = json_array();
	char detail[TERRA_ERR_MAX];
	cl_int rc;
	int ret = -1;

	if (!checks || json_object_set_new(line, "checks", checks) < 0)
		return oom(e);
	if (o->progress) {
		bo.progress = bench_progress;
		bo.arg = &parg;
	}
	ctx = clCreateContext(cprops, 1, &dev, NULL, NULL, &rc);
	if (rc == CL_SUCCESS)
		q = make_queue(ctx, dev, &rc);
	if (rc != CL_SUCCESS) {
		snprintf(detail, sizeof detail, "%s: %s", ctx ? "create queue" : "create context",
		         terra_ocl_strerror(rc));
		ret = terra_health_add(checks, "device", "fail", detail, e);
		goto out;
	}
	if (o->progress)
		o->progress(o->arg, index, "health");
	if (terra_health_run(ctx, q, dev, o->mem_percent, checks, e) < 0)
		goto out;
	if (o->bench != TERRA_PROBE_BENCH_NONE) {
		if (terra_bench_run(ctx, q, dev, &bo, &b, &be) < 0) {
			if (terra_health_add(checks, "bench", "fail", be.msg, e) < 0)
				goto out;
		} else {
			json_t *bj = json_pack(
			    "{s:I, s:I, s:I, s:I, s:I}", "fp32_mflops", (json_int_t)b.fp32_mflops,
			    "fp64_mflops", (json_int_t)b.fp64_mflops, "int32_mops",
			    (json_int_t)b.int32_mops, "mem_bw_mbps", (json_int_t)b.mem_bw_mbps,
			    "launch_us", (json_int_t)b.launch_us);
			if (!bj || json_object_set_new(line, "bench", bj) < 0) {
				oom(e);
				goto out;
			}
			if (o->work_bench && work_bench(o, ctx, q, dev, index, bj, checks, e) < 0)
				goto out;
		}
	}
	ret = 0;
out:
	if (q)
		clReleaseCommandQueue(q);
	if (ctx)
		clReleaseContext(ctx);
	return ret;
}

/*
 * Measures a device under its unit's lock; a unit in use by another process
 * is not measured: its line says why ("busy").
 */
static int measure_locked(const terra_probe_opts *o, terra_probeunit *pu, const json_t *rec,
                          cl_platform_id p, cl_device_id dev, int index, json_t *line,
                          json_t *notes, terra_err *e)
{
	terra_unitlock lock;
	char fp[65], busy[TERRA_ERR_MAX];
	terra_err le = {0};
	int r, ret;

	fingerprint_of(rec, line, fp);
	r = terra_probeunit_lock(pu, fp, &lock, busy, sizeof busy, &le);
	if (r == 1)
		return json_object_set_new(line, "busy", json_string(busy)) < 0 ? oom(e) : 0;
	if (r < 0) { /* a home it cannot write: measured all the same */
		terra_err_wrap(&le, "device %d: measured without its unit's lock", index);
		if (json_array_append_new(notes, json_string(le.msg)) < 0)
			return oom(e);
	}
	ret = measure_device(o, p, dev, index, line, e);
	terra_unitlock_release(&lock);
	return ret;
}

static int gather_live(const terra_probe_opts *o, terra_probeunit *pu, json_t *rec,
                       terra_topo **topo, json_t *notes, terra_err *e)
{
	cl_platform_id *ps = NULL;
	cl_device_id *ds = NULL;
	cl_uint np = 0, nd = 0;
	json_t *line = NULL, *platforms = json_array(), *devices = json_array();
	char machine[65], host[256];
	terra_err te;
	int index = 0, ret = -1;

	if (!platforms || !devices || json_object_set_new(rec, "platforms", platforms) < 0 ||
	    json_object_set_new(rec, "devices", devices) < 0)
		return oom(e);
	if (terra_topo_machine(machine, host, sizeof host, e) < 0)
		return -1;
	line = json_pack("{s:s, s:i, s:s, s:s}", "type", "probe-host", "v", 1, "host", host,
	                 "machine", machine);
	if (!line || json_object_set_new(rec, "host", line) < 0)
		return oom(e);
	line = NULL;
	/* Without a topology the devices are still probed, only not placed. */
	if (terra_topo_load(topo, &te) < 0) {
		*topo = NULL;
		terra_err_wrap(&te, "devices not placed");
		if (json_array_append_new(notes, json_string(te.msg)) < 0)
			return oom(e);
	}
	if (terra_ocl_platforms(&ps, &np, e) < 0)
		return -1;
	for (cl_uint p = 0; p < np; p++) {
		if (terra_ocl_describe_platform(ps[p], &line, e) < 0)
			goto out;
		if (json_object_set_new(line, "type", json_string("probe-platform")) < 0 ||
		    json_object_set_new(line, "v", json_integer(1)) < 0 ||
		    json_object_set_new(line, "platform", json_integer(p)) < 0) {
			oom(e);
			goto out;
		}
		if (json_array_append_new(platforms, line) < 0) {
			line = NULL;
			oom(e);
			goto out;
		}
		line = NULL;
		if (terra_ocl_devices(ps[p], &ds, &nd, e) < 0)
			goto out;
		for (cl_uint d = 0; d < nd; d++, index++) {
			if (terra_ocl_describe_device(ds[d], &line, e) < 0)
				goto out;
			if (json_object_set_new(line, "type", json_string("probe-device")) < 0 ||
			    json_object_set_new(line, "v", json_integer(1)) < 0 ||
			    json_object_set_new(line, "platform", json_integer(p)) < 0 ||
			    json_object_set_new(line, "device", json_integer(d)) < 0) {
				oom(e);
				goto out;
			}
			if ((o->device < 0 || o->device == index) &&
			    measure_locked(o, pu, rec, ps[p], ds[d], index, line, notes, e) < 0)
				goto out;
			if (json_array_append_new(devices, line) < 0) {
				line = NULL;
				oom(e);
				goto out;
			}
			line = NULL;
		}
		free(ds);
		ds = NULL;
	}
	ret = 0;
out:
	json_decref(line);
	free(ds);
	free(ps);
	return ret;
}

/* ---- recording file ------------------------------------------------------ */

static int write_recording(const char *path, const json_t *rec, const terra_topo *topo,
                           terra_err *e)
{
	FILE *f = fopen(path, "w");
	json_t *line = NULL, *v;
	char *xml = NULL;
	size_t len, i;
	int ret = -1;

	if (!f)
		return terra_err_sys(e, "record '%s'", path);
	if (terra_rec_write(f, json_object_get(rec, "host"), e) < 0)
		goto out;
	if (topo) {
		if (terra_topo_export_xml(topo, &xml, &len, e) < 0)
			goto out;
		line = new_line("probe-topology");
		if (!line || json_object_set_new(line, "xml", json_stringn(xml, len)) < 0) {
			oom(e);
			goto out;
		}
		if (terra_rec_write(f, line, e) < 0)
			goto out;
	}
	for (i = 0; i < json_array_size(json_object_get(rec, "platforms")); i++) {
		v = json_array_get(json_object_get(rec, "platforms"), i);
		if (terra_rec_write(f, v, e) < 0)
			goto out;
	}
	for (i = 0; i < json_array_size(json_object_get(rec, "devices")); i++) {
		v = json_array_get(json_object_get(rec, "devices"), i);
		if (terra_rec_write(f, v, e) < 0)
			goto out;
	}
	ret = 0;
out:
	if (fclose(f) != 0 && ret == 0)
		ret = terra_err_sys(e, "record '%s'", path);
	if (ret < 0)
		terra_err_wrap(e, "record '%s'", path);
	json_decref(line);
	free(xml);
	return ret;
}

/* ---- replay ------------------------------------------------------------------ */

static int read_file(const char *path, char **buf, size_t *len, terra_err *e)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 65536, n = 0, got;
	char *b = NULL, *grown;

	if (!f)
		return terra_err_sys(e, "open '%s'", path);
	b = malloc(cap);
	while (b) {
		got = fread(b + n, 1, cap - n - 1, f);
		n += got;
		if (n + 1 < cap)
			break;
		grown = realloc(b, cap * 2);
		if (!grown) {
			free(b);
			b = NULL;
			break;
		}
		b = grown;
		cap *= 2;
	}
	if (!b || ferror(f)) {
		free(b);
		fclose(f);
		return terra_err_sys(e, "read '%s'", path);
	}
	fclose(f);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

static const char *const kinds[] = {"gpu", "cpu", "accelerator", NULL};
static const char *const device_ints[] = {"compute_units",   "clock_mhz",       "global_mem_bytes",
                                          "max_alloc_bytes", "local_mem_bytes", NULL};
static const char *const bench_fields[] = {"fp32_mflops", "fp64_mflops", "int32_mops",
                                           "mem_bw_mbps", "launch_us",   NULL};
/* The workloads' figures and how they were taken (samples per workload, the
 * share of the host's CPUs others took), absent from older recordings. */
static const char *const work_fields[] = {"sgemm_mflops", "sha256d_khps", "samples",
                                          "host_others_pct", NULL};

static int one_of(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static int check_device_line(const json_t *line, size_t nplatforms, int *per_platform, terra_err *e)
{
	const char *s;
	int64_t v, p, d;
	json_t *o, *c;
	size_t i;

	if (terra_rec_int(line, "platform", &p, e) < 0 || terra_rec_int(line, "device", &d, e) < 0)
		return -1;
	if (p < 0 || (size_t)p >= nplatforms)
		return terra_err_set(e, TERRA_E_INPUT, "platform %lld has no probe-platform line",
		                     (long long)p);
	if (d != per_platform[p])
		return terra_err_set(e, TERRA_E_INPUT, "device %lld out of order: expected %d",
		                     (long long)d, per_platform[p]);
	per_platform[p]++;
	if (terra_rec_str(line, "name", &s, e) < 0 || terra_rec_str(line, "vendor", &s, e) < 0)
		return -1;
	if (terra_rec_str(line, "kind", &s, e) < 0)
		return -1;
	if (!one_of(s, kinds))
		return terra_err_set(e, TERRA_E_INPUT,
		                     "field 'kind' must be \"gpu\", \"cpu\" or \"accelerator\"");
	for (i = 0; device_ints[i]; i++) {
		if (terra_rec_int(line, device_ints[i], &v, e) < 0)
			return -1;
		if (v < 0)
			return terra_err_set(e, TERRA_E_INPUT, "field '%s' must not be negative",
			                     device_ints[i]);
	}
	if (!json_is_boolean(json_object_get(line, "fp64")))
		return terra_err_set(e, TERRA_E_INPUT, "field 'fp64' must be true or false");
	if (terra_rec_str_opt(line, "driver_version", &s, e) < 0 ||
	    terra_rec_str_opt(line, "device_version", &s, e) < 0)
		return -1;
	s = NULL;
	if (terra_rec_str_opt(line, "pci_bus_id", &s, e) < 0)
		return -1;
	if (s) {
		unsigned a, b, c2, f;

		if (terra_topo_parse_busid(s, &a, &b, &c2, &f) < 0)
			return terra_err_set(e, TERRA_E_INPUT,
			                     "field 'pci_bus_id' must be like \"0000:65:00.0\"");
	}
	if ((o = json_object_get(line, "bench"))) {
		if (!json_is_object(o))
			return terra_err_set(e, TERRA_E_INPUT, "field 'bench' must be an object");
		for (i = 0; bench_fields[i]; i++) {
			if (terra_rec_int(o, bench_fields[i], &v, e) < 0)
				return terra_err_wrap(e, "bench");
		}
		for (i = 0; work_fields[i]; i++) {
			v = 0;
			if (terra_rec_int_opt(o, work_fields[i], &v, e) < 0)
				return terra_err_wrap(e, "bench");
			if (v < 0 || (v > 100 && !strcmp(work_fields[i], "host_others_pct")))
				return terra_err_set(
				    e, TERRA_E_INPUT,
				    "bench: field '%s' must be 0 or more (0 to 100 "
				    "for a percentage)",
				    work_fields[i]);
		}
		s = NULL;
		if (terra_rec_str_opt(o, "mode", &s, e) < 0)
			return terra_err_wrap(e, "bench");
		if (s && strcmp(s, "full") && strcmp(s, "quick"))
			return terra_err_set(e, TERRA_E_INPUT,
			                     "bench: field 'mode' must be \"full\" or \"quick\"");
	}
	if (terra_rec_str_opt(line, "busy", &s, e) < 0)
		return -1;
	if ((o = json_object_get(line, "checks"))) {
		if (!json_is_array(o))
			return terra_err_set(e, TERRA_E_INPUT, "field 'checks' must be an array");
		for (i = 0; i < json_array_size(o); i++) {
			c = json_array_get(o, i);
			if (!json_is_object(c) || terra_rec_str(c, "name", &s, e) < 0 ||
			    terra_rec_str(c, "detail", &s, e) < 0 ||
			    terra_rec_str(c, "status", &s, e) < 0)
				return terra_err_set(
				    e, TERRA_E_INPUT,
				    "checks[%zu] must have strings name, status, detail", i);
			if (strcmp(s, "ok") && strcmp(s, "fail") && strcmp(s, "skip"))
				return terra_err_set(e, TERRA_E_INPUT,
				                     "checks[%zu]: status must be ok, fail or skip",
				                     i);
		}
	}
	return 0;
}

/* Reads an xml_file named relative to the recording's directory. */
static int read_topology_file(const char *recording, const char *rel, char **xml, size_t *len,
                              terra_err *e)
{
	char path[4096];
	const char *slash = strrchr(recording, '/');

	if (rel[0] == '/' || !slash)
		snprintf(path, sizeof path, "%s", rel);
	else
		snprintf(path, sizeof path, "%.*s/%s", (int)(slash - recording), recording, rel);
	return read_file(path, xml, len, e);
}

static int load_replay(const char *path, json_t *rec, terra_topo **topo, terra_err *e)
{
	terra_reader *r = NULL;
	json_t *line = NULL, *platforms = json_array(), *devices = json_array();
	int per_platform[64] = {0};
	const char *type, *s;
	char *xml = NULL;
	size_t xlen = 0;
	int64_t n;
	int got, ret = -1;

	if (!platforms || !devices || json_object_set_new(rec, "platforms", platforms) < 0 ||
	    json_object_set_new(rec, "devices", devices) < 0)
		return oom(e);
	if (terra_reader_open(&r, path, e) < 0)
		return -1;
	while ((got = terra_reader_next(r, &line, e)) == 1) {
		terra_rec_type(line, &type, e);
		if (strcmp(type, "probe-host") == 0) {
			uint8_t m[32];

			if (json_object_get(rec, "host"))
				goto bad_msg_dup;
			if (terra_rec_str(line, "host", &s, e) < 0 ||
			    terra_rec_hex(line, "machine", m, sizeof m, e) < 0)
				goto bad;
			if (json_object_set(rec, "host", line) < 0) {
				oom(e);
				goto out;
			}
		} else if (!json_object_get(rec, "host")) {
			terra_reader_reject(r, e, type, "the first line must be a probe-host line");
			goto out;
		} else if (strcmp(type, "probe-topology") == 0) {
			if (xml)
				goto bad_msg_dup;
			if (json_object_get(line, "xml")) {
				if (terra_rec_str(line, "xml", &s, e) < 0)
					goto bad;
				xml = strdup(s);
				xlen = strlen(s);
				if (!xml) {
					oom(e);
					goto out;
				}
			} else {
				if (terra_rec_str(line, "xml_file", &s, e) < 0)
					goto bad;
				if (read_topology_file(path, s, &xml, &xlen, e) < 0)
					goto bad;
			}
			if (terra_topo_load_xml(topo, xml, xlen, e) < 0)
				goto bad;
		} else if (strcmp(type, "probe-platform") == 0) {
			if (terra_rec_int(line, "platform", &n, e) < 0 ||
			    terra_rec_str(line, "name", &s, e) < 0)
				goto bad;
			if (n != (int64_t)json_array_size(platforms) || n >= 64) {
				terra_err_set(e, TERRA_E_INPUT,
				              "platform %lld out of order: expected %zu",
				              (long long)n, json_array_size(platforms));
				goto bad;
			}
			if (json_array_append(platforms, line) < 0) {
				oom(e);
				goto out;
			}
		} else if (strcmp(type, "probe-device") == 0) {
			if (check_device_line(line, json_array_size(platforms), per_platform, e) <
			    0)
				goto bad;
			if (json_array_append(devices, line) < 0) {
				oom(e);
				goto out;
			}
		} else {
			terra_reader_reject(r, e, type, "not a probe recording line");
			goto out;
		}
		json_decref(line);
		line = NULL;
	}
	if (got < 0)
		goto out;
	if (!json_object_get(rec, "host")) {
		terra_err_set(e, TERRA_E_INPUT, "%s: not a probe recording: no probe-host line",
		              path);
		goto out;
	}
	ret = 0;
	goto out;
bad_msg_dup:
	terra_err_set(e, TERRA_E_INPUT, "a second %s line", type);
bad:
	terra_reader_reject(r, e, type, e->msg);
out:
	json_decref(line);
	free(xml);
	terra_reader_close(r);
	return ret;
}

/* ---- records ------------------------------------------------------------------ */

/* The registered bench object of a fingerprint (new reference) or NULL. */
static json_t *baseline_find(terra_probeunit *pu, const char *fingerprint)
{
	json_t *unit = terra_probeunit_find(pu, fingerprint), *bench;

	bench = json_incref(json_object_get(unit, "bench"));
	json_decref(unit);
	return bench;
}

static int copy_field(json_t *dst, const json_t *src, const char *key)
{
	json_t *v = json_object_get(src, key);

	return v ? json_object_set(dst, key, v) : 0;
}

static int build_device(const terra_probe_opts *o, const json_t *rec, const json_t *dline,
                        int index, const terra_topo *topo, terra_probeunit *pu,
                        const char *probed_at, json_t **out, terra_err *e)
{
	const json_t *host = json_object_get(rec, "host");
	json_t *pline =
	    json_array_get(json_object_get(rec, "platforms"),
	                   (size_t)json_integer_value(json_object_get(dline, "platform")));
	json_t *d = new_line("device"), *checks = json_array(), *health = NULL, *bench, *base;
	const char *pci = json_string_value(json_object_get(dline, "pci_bus_id"));
	const char *busy = json_string_value(json_object_get(dline, "busy"));
	terra_topo_place place = {.numa_node = -1};
	const char *status;
	char fp[65];
	int rc = 0, loaded = 0;
	size_t i;
	json_t *c;

	if (!d || !checks) {
		json_decref(d);
		json_decref(checks);
		return oom(e);
	}
	fingerprint_of(rec, dline, fp);
	if (topo && terra_topo_place_device(topo, pci, &place, e) < 0)
		goto fail;
	rc |= json_object_set_new(d, "host", json_string(str_of(host, "host")));
	rc |= json_object_set_new(d, "index", json_integer(index));
	rc |= json_object_set_new(d, "platform", json_string(str_of(pline, "name")));
	rc |= json_object_set_new(d, "platform_version", json_string(str_of(pline, "version")));
	rc |= copy_field(d, dline, "name");
	rc |= copy_field(d, dline, "vendor");
	rc |=
	    json_object_set_new(d, "driver_version", json_string(str_of(dline, "driver_version")));
	rc |=
	    json_object_set_new(d, "device_version", json_string(str_of(dline, "device_version")));
	rc |= copy_field(d, dline, "kind");
	for (i = 0; device_ints[i]; i++)
		rc |= copy_field(d, dline, device_ints[i]);
	rc |= copy_field(d, dline, "fp64");
	if (pci)
		rc |= json_object_set_new(d, "pci_bus_id", json_string(pci));
	rc |= json_object_set_new(d, "numa_node", json_integer(place.numa_node));
	if (topo)
		rc |= json_object_set_new(d, "cpuset", json_string(place.cpuset));
	rc |= json_object_set_new(d, "fingerprint", json_string(fp));
	rc |= json_object_set_new(d, "probed_at", json_string(probed_at));
	for (i = 0; i < json_array_size(json_object_get(dline, "checks")); i++) {
		c = json_array_get(json_object_get(dline, "checks"), i);
		rc |= json_array_append(checks, c);
	}
	bench = json_object_get(dline, "bench");
	if (busy)
		rc |= terra_health_add(checks, "busy", "skip", busy, e);
	else if (bench && o->bench != TERRA_PROBE_BENCH_NONE) {
		rc |= json_object_set(d, "bench", bench);
		if (terra_probeunit_why_not(pu)) {
			rc |= terra_health_add(checks, "baseline", "skip",
			                       terra_probeunit_why_not(pu), e);
		} else if ((base = baseline_find(pu, fp))) {
			const json_t *others = json_object_get(bench, "host_others_pct");

			rc |= terra_health_baseline(bench, base,
			                            json_is_integer(others) &&
			                                    !strcmp(str_of(dline, "kind"), "cpu")
			                                ? (int)json_integer_value(others)
			                                : -1,
			                            checks, &loaded, e);
			json_decref(base);
		} else {
			rc |= terra_health_add(checks, "baseline", "skip", "not a registered unit",
			                       e);
		}
	}
	status = busy ? "busy" : terra_health_status(checks);
	if (loaded && !strcmp(status, "ok")) /* slow under load: not judged */
		status = "busy";
	health = json_pack("{s:s, s:O}", "status", status, "checks", checks);
	if (rc || !health || json_object_set_new(d, "health", health) < 0) {
		oom(e);
		goto fail;
	}
	json_decref(checks);
	*out = d;
	return 0;
fail:
	json_decref(checks);
	json_decref(d);
	return -1;
}

static int build_records(const terra_probe_opts *o, terra_probeunit *pu, const json_t *rec,
                         const terra_topo *topo, terra_probe_result *res, terra_err *e)
{
	json_t *devices = json_object_get(rec, "devices"), *dline, *d = NULL;
	const json_t *host = json_object_get(rec, "host");
	char probed_at[TERRA_TIME_MAX];
	terra_topo_host hi = {0};
	int64_t now;
	size_t i, n = json_array_size(devices);
	const char *status;

	if (n == 0) {
		if (o->device >= 0)
			return terra_err_set(e, TERRA_E_NOTFOUND,
			                     "device %d: no such device (none found)", o->device);
		return json_array_append_new(res->notes,
		                             json_string("no OpenCL platform or device found")) < 0
		           ? oom(e)
		           : 0;
	}
	if (o->device >= 0 && (size_t)o->device >= n)
		return terra_err_set(e, TERRA_E_NOTFOUND, "device %d: no such device (%zu found)",
		                     o->device, n);
	if (terra_time_now(&now, e) < 0)
		return -1;
	terra_time_format(now, probed_at);
	if (topo)
		terra_topo_host_info(topo, &hi);
	res->host =
	    json_pack("{s:s, s:i, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:s}", "type", "host", "v", 1,
	              "host", str_of(host, "host"), "packages", (json_int_t)hi.packages, "cores",
	              (json_int_t)hi.cores, "threads", (json_int_t)hi.threads, "numa_nodes",
	              (json_int_t)hi.numa_nodes, "memory_bytes", (json_int_t)hi.memory_bytes,
	              "machine", str_of(host, "machine"), "probed_at", probed_at);
	if (!res->host)
		return oom(e);
	for (i = 0; i < n; i++) {
		dline = json_array_get(devices, i);
		if (o->device >= 0 && (size_t)o->device != i)
			continue;
		if (build_device(o, rec, dline, (int)i, topo, pu, probed_at, &d, e) < 0)
			return -1;
		status = str_of(json_object_get(d, "health"), "status");
		if (strcmp(status, "ok") != 0 && strcmp(status, "busy") != 0)
			res->unhealthy++;
		if (json_array_append_new(res->devices, d) < 0)
			return oom(e);
	}
	return 0;
}

int terra_probe_run(const terra_probe_opts *o, terra_probe_result *res, terra_err *e)
{
	json_t *rec = json_object();
	terra_topo *topo = NULL;
	terra_probeunit *pu = NULL;
	int ret = -1;

	memset(res, 0, sizeof *res);
	res->devices = json_array();
	res->notes = json_array();
	if (!rec || !res->devices || !res->notes) {
		oom(e);
		goto out;
	}
	if (terra_probeunit_open(o->home, &pu, e) < 0)
		goto out;
	if (o->replay) {
		if (load_replay(o->replay, rec, &topo, e) < 0)
			goto out;
	} else {
		if (gather_live(o, pu, rec, &topo, res->notes, e) < 0)
			goto out;
		if (o->record && write_recording(o->record, rec, topo, e) < 0)
			goto out;
	}
	if (build_records(o, pu, rec, topo, res, e) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		terra_probe_result_free(res);
	terra_probeunit_close(pu);
	terra_topo_free(topo);
	json_decref(rec);
	return ret;
}

void terra_probe_result_free(terra_probe_result *res)
{
	json_decref(res->host);
	json_decref(res->devices);
	json_decref(res->notes);
	memset(res, 0, sizeof *res);
}
