/* The unit registry (lib/unit.c) and registration (lib/register.c). */
#include "lib/unit.h"

#include "lib/db.h"
#include "lib/healthlog.h"
#include "lib/record.h"
#include "lib/register.h"
#include "lib/unitchain.h"
#include "fixture.h"
#include "tap.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static const char device_text[] =
    "{\"type\":\"device\",\"v\":1,\"host\":\"node\",\"index\":0,\"platform\":\"NVIDIA CUDA\","
    "\"name\":\"NVIDIA H100 80GB HBM3\",\"vendor\":\"NVIDIA Corporation\",\"kind\":\"gpu\","
    "\"compute_units\":132,\"clock_mhz\":1980,\"global_mem_bytes\":85520809984,"
    "\"fp64\":true,\"pci_bus_id\":\"0000:65:00.0\",\"numa_node\":0,"
    "\"fingerprint\":\"abababababababababababababababababababababababababababababababab\","
    "\"bench\":{\"fp32_mflops\":51234000,\"mem_bw_mbps\":2913000,\"sgemm_mflops\":48120000}}";

static json_t *device(void)
{
	json_t *rec = NULL;
	terra_err e = {0};

	if (terra_record_parse(device_text, strlen(device_text), &rec, &e) < 0)
		printf("# parse device: %s\n", e.msg);
	return rec;
}

/* The device with one field replaced by a JSON value; its check message. */
static const char *check_with(const char *field, const char *json)
{
	static terra_err e;
	json_t *rec = device(), *v = json_loads(json, JSON_DECODE_ANY, NULL);

	terra_err_clear(&e);
	if (v)
		json_object_set_new(rec, field, v);
	else
		json_object_del(rec, field);
	if (terra_register_check_device(rec, &e) == 0)
		snprintf(e.msg, sizeof e.msg, "ok");
	json_decref(rec);
	return e.msg;
}

static void test_id(void)
{
	uint8_t owner[TERRA_PK_BYTES];
	char id[TERRA_UNIT_ID_HEX], fp[65];
	size_t i;

	for (i = 0; i < sizeof owner; i++)
		owner[i] = (uint8_t)i;
	memset(fp, 0, sizeof fp);
	for (i = 0; i < 64; i += 2)
		memcpy(fp + i, "ab", 2);
	/* Python: hashlib.blake2b(bytes(range(32)) + b"ab" * 32, digest_size=16) */
	terra_unit_id(owner, fp, id);
	is_str(id, "8c0d0d9f1de523c5b910bab16e0786a4",
	       "unit id: BLAKE2b-128 of owner || fingerprint");
	fp[63] = 'c';
	terra_unit_id(owner, fp, id);
	is_str(id, "824b34b2b97af1bf1a56ab868ac816c9", "unit id changes with the fingerprint");
}

static void test_check(void)
{
	is_str(check_with("kind", "\"gpu\""), "ok", "check: a good device passes");
	is_str(check_with("kind", "\"fpga\""), "field 'kind' must be one of gpu, cpu, accelerator",
	       "check: kind");
	is_str(check_with("fingerprint", "\"ABAB\""),
	       "field 'fingerprint' must be 64 lowercase hex digits", "check: fingerprint");
	like(check_with("global_mem_bytes", "\"80GB\""), "'global_mem_bytes' must be an integer",
	     "check: global_mem_bytes type");
	is_str(check_with("global_mem_bytes", "-1"),
	       "field 'global_mem_bytes' must not be negative", "check: global_mem_bytes sign");
	like(check_with("name", NULL), "'name'", "check: missing name");
	like(check_with("vendor", "7"), "'vendor'", "check: vendor type");
	is_str(check_with("fp64", "1"), "field 'fp64' must be true or false", "check: fp64");
	like(check_with("pci_bus_id", "\"65:00.0\""), "'pci_bus_id' must look like",
	     "check: pci_bus_id");
	is_str(check_with("pci_bus_id", "\"0000:ca:00.7\""), "ok", "check: pci_bus_id ca");
	like(check_with("numa_node", "-2"), "'numa_node'", "check: numa_node");
	is_str(check_with("numa_node", "-1"), "ok", "check: numa_node -1 is unknown");
	like(check_with("bench", "{\"fp32_mflops\":\"fast\"}"), "bench: field 'fp32_mflops'",
	     "check: bench member");
	like(check_with("bench", "[]"), "'bench'", "check: bench type");
	is_str(check_with("bench", NULL), "ok", "check: no bench is fine");
}

static void test_registry(void)
{
	terra_home h;
	terra_err e = {0};
	terra_unit u;
	terra_key k = {0};
	json_t *dev = device(), *unit = NULL, *again = NULL, *list = NULL, *found;
	terra_unit_finder *finder = NULL;
	char id[TERRA_UNIT_ID_HEX], prefix[8], owner_hex[TERRA_PK_HEX];
	int64_t first = 0;
	terra_register_result r;
	int created = 0;

	ok(terra_home_init(dir, 0, &created, &e) == 0 && created, "home created");
	if (!ok(terra_home_open(&h, dir, TERRA_HOME_SECRET, &e) == 0, "home opened")) {
		printf("# %s\n", e.msg);
		return;
	}
	ok(terra_register_device(&h, dev, &unit, &r, &e) == 0, "register a device");
	is_int(r.existed, 0, "the device is new");
	terra_unit_id(h.owner.pk, json_string_value(json_object_get(dev, "fingerprint")), id);
	is_str(json_string_value(json_object_get(unit, "unit")), id, "the record has the unit id");
	ok(terra_rec_verify(unit, h.owner.pk, &e) == 0, "the record verifies by the owner key");
	is_int(json_integer_value(json_object_get(unit, "score")), 48120000,
	       "score = sgemm_mflops, not fp32_mflops");

	ok(terra_register_device(&h, dev, &again, &r, &e) == 0, "register it again");
	is_int(r.existed, 1, "the second time it exists");
	is_int(r.rescored, 0, "the same benchmark does not rescore it");
	ok(json_equal(unit, again), "the second time gives the stored record");

	ok(terra_unit_get(h.db, id, &u, &e) == 0, "get the unit");
	is_str(u.id, id, "get: id");
	ok(!memcmp(u.owner, h.owner.pk, TERRA_PK_BYTES), "get: owner");
	is_int(u.retired, 0, "get: active");
	is_int(u.score, 48120000, "get: score");
	ok(json_equal(u.record, unit), "get: the record");
	ok(terra_unit_key(&h, id, &k, &e) == 0, "load the unit key");
	ok(!memcmp(k.pk, u.unit_pub, TERRA_PK_BYTES), "the unit key is the record's unit_pub");
	terra_key_wipe(&k);
	terra_unit_free(&u);
	ok(terra_unit_get(h.db, "0123456789abcdef0123456789abcdef", &u, &e) < 0 &&
	       e.kind == TERRA_E_NOTFOUND,
	   "get: an unknown unit is NOTFOUND");
	like(e.msg, "unknown unit '0123456789abcdef0123456789abcdef'", "get: the message");
	ok(terra_unit_get(h.db, "../../etc", &u, &e) < 0 && e.kind == TERRA_E_INPUT,
	   "get: a malformed id is refused");
	ok(terra_unit_key(&h, "../owner", &k, &e) < 0, "key: a malformed id never reaches a path");

	ok(terra_unit_list(h.db, &list, &e) == 0, "list");
	is_int(json_array_size(list), 1, "list: one unit");
	json_decref(list);

	ok(terra_unit_finder_open(h.db, &finder, &e) == 0, "finder: opened");
	found = terra_unit_finder_active(finder,
	                                 json_string_value(json_object_get(dev, "fingerprint")));
	ok(found && json_equal(found, unit), "finder: the active unit of a fingerprint");
	json_decref(found);
	ok(!terra_unit_finder_active(finder, "cdcd"), "finder: none for an unknown fingerprint");
	/* By hand, past the triggers that keep units what the ledger says. */
	ok(terra_db_exec(
	       h.db, "DROP TRIGGER units_update_from_ledger; DROP TRIGGER units_insert_from_ledger",
	       &e) == 0,
	   "drop the units triggers");
	ok(terra_db_exec(h.db, "UPDATE units SET state = 'retired'", &e) == 0, "retire by hand");
	found = terra_unit_finder_active(finder,
	                                 json_string_value(json_object_get(dev, "fingerprint")));
	ok(!found, "finder: a retired unit is not a baseline");
	json_decref(found);
	ok(terra_db_exec(h.db, "UPDATE units SET state = 'active'", &e) == 0, "active again");
	terra_unit_finder_close(finder);

	ok(terra_unit_seq_reserve(h.db, id, 1, &first, &e) == 0, "reserve 1 seq");
	is_int(first, 1, "seqs start at 1");
	ok(terra_unit_seq_reserve(h.db, id, 5, &first, &e) == 0, "reserve 5 seqs");
	is_int(first, 2, "the next reservation starts after the last");
	ok(terra_unit_seq_reserve(h.db, id, 1, &first, &e) == 0, "reserve 1 more");
	is_int(first, 7, "five were reserved");
	ok(terra_unit_seq_reserve(h.db, id, 0, &first, &e) < 0, "reserving 0 seqs is refused");
	ok(terra_unit_seq_reserve(h.db, "0123456789abcdef0123456789abcdef", 1, &first, &e) < 0 &&
	       e.kind == TERRA_E_NOTFOUND,
	   "reserving for an unknown unit is NOTFOUND");
	ok(sqlite3_get_autocommit(h.db), "no transaction left open");

	memcpy(prefix, id, 6);
	prefix[6] = '\0';
	memset(id, 0, sizeof id);
	ok(terra_register_find(h.db, prefix, id, &e) == 0, "find by prefix");
	is_str(json_string_value(json_object_get(unit, "unit")), id, "the prefix finds the unit");
	/* A second unit id sharing the prefix, stored by hand, makes it ambiguous. */
	{
		char sql[512], other[TERRA_UNIT_ID_HEX];

		snprintf(other, sizeof other, "%s", id);
		other[31] = other[31] == '0' ? '1' : '0';
		terra_hex(h.owner.pk, TERRA_PK_BYTES, owner_hex);
		snprintf(sql, sizeof sql,
		         "INSERT INTO units VALUES ('%s', '%s', '%s', 'x', 0, 'active', 'gpu',"
		         " 't', '{}', '{}')",
		         other, owner_hex, owner_hex);
		ok(terra_db_exec(h.db, sql, &e) == 0, "store a second unit by hand");
	}
	ok(terra_register_find(h.db, prefix, id, &e) < 0, "an ambiguous prefix is refused");
	like(e.msg, "ambiguous", "the message says ambiguous");
	ok(terra_register_find(h.db, "xyz", id, &e) < 0 && e.kind == TERRA_E_INPUT,
	   "a non-hex prefix is refused");
	ok(terra_register_find(h.db, "", id, &e) < 0, "an empty prefix is refused");

	json_decref(again);
	json_decref(unit);
	json_decref(dev);
	terra_home_close(&h);
}

/* The device with bench.sgemm_mflops (0: none) and health status (NULL: none),
 * from a full probe on a quiet host (the only kind that rescores). */
static json_t *probed(int64_t sgemm, const char *health)
{
	json_t *d = device();

	json_object_set_new(json_object_get(d, "bench"), "mode", json_string("full"));
	json_object_set_new(json_object_get(d, "bench"), "host_others_pct", json_integer(0));
	if (sgemm)
		json_object_set_new(json_object_get(d, "bench"), "sgemm_mflops",
		                    json_integer(sgemm));
	else
		json_object_del(json_object_get(d, "bench"), "sgemm_mflops");
	if (health)
		json_object_set_new(d, "health",
		                    json_pack("{s:s, s:[]}", "status", health, "checks"));
	return d;
}

/* Registers d; r and the unit's score after it. */
static int64_t register_score(terra_home *h, json_t *d, terra_register_result *r)
{
	terra_err e = {0};
	json_t *unit = NULL;
	int64_t score = -1;

	if (terra_register_device(h, d, &unit, r, &e) < 0)
		printf("# register: %s\n", e.msg);
	else
		score = json_integer_value(json_object_get(unit, "score"));
	json_decref(unit);
	json_decref(d);
	return score;
}

static int64_t entries(terra_home *h, const char *kind)
{
	sqlite3_stmt *st = NULL;
	int64_t n = -1;

	if (sqlite3_prepare_v2(h->db, "SELECT count(*) FROM entries WHERE kind = ?", -1, &st,
	                       NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return n;
}

/* A re-benchmark rescores a unit, beyond TERRA_RESCORE_PCT, from two healthy probes in a
 * row past it the same way. */
static void test_rescore(void)
{
	char home[300];
	terra_home h;
	terra_err e = {0};
	terra_register_result r;
	json_t *versions = NULL, *last;
	int created = 0;

	snprintf(home, sizeof home, "%s", fixture_path("rescore"));
	if (!ok(terra_home_init(home, 0, &created, &e) == 0 &&
	            terra_home_open(&h, home, TERRA_HOME_SECRET, &e) == 0,
	        "rescore: a home"))
		return;
	is_int(register_score(&h, probed(0, NULL), &r), 0,
	       "without workload figures the score is 0, whatever fp32_mflops says");
	is_int(register_score(&h, probed(160000, "ok"), &r), 160000,
	       "a probe with workload figures rescores the unit: score = sgemm_mflops");
	ok(r.existed && r.rescored, "... reported as a rescore");
	is_int(entries(&h, "rescore"), 1, "... one rescore entry in the ledger");
	is_int(register_score(&h, probed(167000, "ok"), &r), 160000,
	       "within 5% (4.4% up): the score stays");
	ok(!r.rescored && !*r.kept, "... nothing to say");
	is_int(register_score(&h, probed(150000, "ok"), &r), 160000,
	       "6.25% down, the probe healthy: the first past the margin waits");
	like(r.kept, "sgemm_mflops 150000 is the first full probe past 5% of the score 160000",
	     "... and says so");
	is_int(register_score(&h, probed(170000, "ok"), &r), 160000,
	       "6.25% up next: the other way, it waits in turn");
	is_int(register_score(&h, probed(150000, "ok"), &r), 160000,
	       "6.25% down again: the other way again, it waits");
	is_int(register_score(&h, probed(150000, "ok"), &r), 150000,
	       "and again: two in a row past the margin the same way, rescored");
	is_int(register_score(&h, probed(60000, "degraded"), &r), 150000,
	       "a probe that found the device degraded does not rescore it");
	like(r.kept, "the probe found the device degraded", "... and says why");
	is_int(register_score(&h, probed(300000, "sick"), &r), 150000, "nor does a sick one");
	is_int(register_score(&h, probed(0, "ok"), &r), 150000,
	       "a benchmark without workload figures does not replace one with them");
	like(r.kept, "no workload figures", "... and says why");
	is_int(entries(&h, "rescore"), 2, "two rescore entries in all");
	ok(terra_unitchain_verify_db(h.db, &e) == 0,
	   "the units table and the ledger's chain agree");
	if (e.msg[0])
		printf("# %s\n", e.msg);
	ok(terra_unit_versions(h.db, NULL, &versions, &e) == 0 && json_array_size(versions) == 3,
	   "history: three versions");
	last = json_array_get(versions, 2);
	is_int(json_integer_value(json_object_get(last, "rescored_from")), 160000,
	       "the last says the score it replaced");
	is_int(json_integer_value(json_object_get(json_object_get(last, "bench"), "sgemm_mflops")),
	       150000, "... and carries the new bench, the next probes' baseline");
	json_decref(versions);
	terra_home_close(&h);
}

/* The report's health history keeps each unit's first observation and its
 * changes of status; another unit starts again. */
static void test_health_changes(void)
{
	static const char *const in[][2] = {{"a", "ok"},   {"a", "ok"},   {"a", "sick"},
	                                    {"a", "sick"}, {"a", "ok"},   {"b", "ok"},
	                                    {"b", "ok"},   {"c", "busy"}, {"c", "ok"}};
	json_t *rows = json_array(), *row;
	terra_err e = {0};
	char got[128] = "";
	size_t i;

	for (i = 0; i < sizeof in / sizeof in[0]; i++)
		json_array_append_new(
		    rows, json_pack("{s:s, s:s}", "unit", in[i][0], "status", in[i][1]));
	ok(terra_healthlog_changes(&rows, &e) == 0, "health changes: computed");
	json_array_foreach(rows, i, row)
	{
		strcat(got, json_string_value(json_object_get(row, "unit")));
		strcat(got, ":");
		strcat(got, json_string_value(json_object_get(row, "status")));
		strcat(got, " ");
	}
	is_str(
	    got, "a:ok a:sick a:ok b:ok c:busy c:ok ",
	    "health changes: repeats of a unit's status dropped, every change and each unit's first kept");
	json_decref(rows);
	rows = json_pack("[{s:s}]", "unit", "a");
	ok(terra_healthlog_changes(&rows, &e) < 0,
	   "health changes: a row without a status is refused");
	json_decref(rows);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	fixture_tmpdir("unit");
	snprintf(dir, sizeof dir, "%s", fixture_path("home"));
	setenv("TERRA_NOW", "2026-11-21T10:00:00Z", 1);
	test_id();
	test_check();
	test_registry();
	test_rescore();
	test_health_changes();
	return done_testing();
}
