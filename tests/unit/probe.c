/* Unit tests of terra-probe's pure parts: fingerprint, placement, health verdicts. */
#include "lib/health.h"
#include "lib/ocl.h"
#include "lib/topo.h"
#include "fixture.h"
#include "tap.h"

#include <sodium.h>
#include <stdlib.h>

static void test_fingerprint(void)
{
	char a[65], b[65];
	const char *m = "e4d1c4f3a7e2f2c5b8f1d0e9c6b3a2918f7e6d5c4b3a29180f1e2d3c4b5a6978";

	terra_ocl_fingerprint(m, "NVIDIA CUDA", "NVIDIA Corporation", "NVIDIA H100 80GB HBM3",
	                      "gpu", "0000:18:00.0", 0, 85520809984, a);
	terra_ocl_fingerprint(m, "NVIDIA CUDA", "NVIDIA Corporation", "NVIDIA H100 80GB HBM3",
	                      "gpu", "0000:18:00.0", 3, 85520809984, b);
	is_str(a, b, "the platform index does not count when there is a PCI bus id");
	terra_ocl_fingerprint(m, "NVIDIA CUDA", "NVIDIA Corporation", "NVIDIA H100 80GB HBM3",
	                      "gpu", "0000:2a:00.0", 0, 85520809984, b);
	ok(strcmp(a, b) != 0, "another slot, another fingerprint");
	terra_ocl_fingerprint(m, "P", "V", "N", "cpu", NULL, 0, 1000, a);
	terra_ocl_fingerprint(m, "P", "V", "N", "cpu", "", 0, 2000, b);
	is_str(a, b, "a CPU device's memory size does not count");
	terra_ocl_fingerprint(m, "P", "V", "N", "cpu", NULL, 1, 1000, b);
	ok(strcmp(a, b) != 0, "without a bus id, the index on the platform counts");
	terra_ocl_fingerprint(m, "ab", "c", "N", "gpu", NULL, 0, 1, a);
	terra_ocl_fingerprint(m, "a", "bc", "N", "gpu", NULL, 0, 1, b);
	ok(strcmp(a, b) != 0, "fields are separated unambiguously");
	terra_ocl_fingerprint(m, "P", "V", "N", "gpu", NULL, 0, 1, a);
	terra_ocl_fingerprint(m, "P", "V", "N", "gpu", NULL, 0, 2, b);
	ok(strcmp(a, b) != 0, "a GPU's memory size counts");
}

static void test_place(const char *top)
{
	char path[4096], *xml;
	size_t len = 0;
	terra_topo *t = NULL;
	terra_topo_place p;
	terra_topo_host h;
	terra_err e = {0};

	snprintf(path, sizeof path, "%s/tests/fixtures/probe/h100x4-topology.xml", top);
	xml = fixture_slurp(path, &len);
	ok(xml != NULL, "read the H100 topology");
	if (!xml)
		return;
	ok(terra_topo_load_xml(&t, xml, len, &e) == 0, "load the H100 topology");
	terra_topo_host_info(t, &h);
	is_int(h.numa_nodes, 2, "two NUMA nodes");
	is_int(h.threads, 224, "224 threads");
	ok(terra_topo_place_device(t, "0000:ab:00.0", &p, &e) == 0, "place a GPU");
	is_int(p.numa_node, 1, "GPU ab:00.0 is on node 1");
	is_str(p.cpuset, "56-111,168-223", "and next to package 1's CPUs");
	ok(terra_topo_place_device(t, "0000:18:00.0", &p, &e) == 0 && p.numa_node == 0,
	   "GPU 18:00.0 is on node 0");
	ok(terra_topo_place_device(t, NULL, &p, &e) == 0, "place a CPU device");
	is_int(p.numa_node, -1, "a CPU device on two nodes has no single node");
	is_str(p.cpuset, "0-223", "a CPU device spans the machine");
	ok(terra_topo_place_device(t, "0000:77:00.0", &p, &e) == 0 && !p.pci_found &&
	       p.numa_node == -1,
	   "an unknown bus id is unplaced");
	ok(terra_topo_place_device(t, "nonsense", &p, &e) < 0, "a malformed bus id is refused");
	like(e.msg, "pci bus id 'nonsense'", "and named");
	terra_topo_free(t);
	t = NULL;
	ok(terra_topo_load_xml(&t, "<topology", 9, &e) < 0, "bad XML is refused");
	free(xml);
}

static void test_health(void)
{
	json_t *checks = json_array(), *bench, *base;
	terra_err e = {0};
	int busy = 0;

	is_str(terra_health_status(checks), "ok", "no checks: ok");
	base = json_pack("{s:i, s:i, s:i, s:i}", "fp32_mflops", 1000, "mem_bw_mbps", 500,
	                 "sgemm_mflops", 4000, "sha256d_khps", 2000);
	bench = json_pack("{s:i, s:i, s:i, s:i}", "fp32_mflops", 400, "mem_bw_mbps", 200,
	                  "sgemm_mflops", 3200, "sha256d_khps", 1600);
	terra_health_baseline(bench, base, -1, checks, &busy, &e);
	is_str(terra_health_status(checks), "ok",
	       "exactly 80% of the workloads' baseline, the clpeak-style figures at 40%: ok");
	json_decref(bench);
	bench = json_pack("{s:i, s:i, s:i, s:i}", "fp32_mflops", 1200, "mem_bw_mbps", 600,
	                  "sgemm_mflops", 4100, "sha256d_khps", 1599);
	terra_health_baseline(bench, base, -1, checks, &busy, &e);
	is_str(terra_health_status(checks), "degraded", "hash rate under 80%: degraded");
	like(json_string_value(json_object_get(json_array_get(checks, 1), "detail")),
	     "sha256d_khps 1599 of 2000 (79%)", "the detail gives the figures");
	json_decref(checks);
	checks = json_array();
	terra_health_baseline(bench, base, 4, checks, &busy, &e);
	ok(!busy && !strcmp(terra_health_status(checks), "degraded"),
	   "a CPU device under 80% while others took 4% of the host: degraded");
	json_decref(checks);
	checks = json_array();
	terra_health_baseline(bench, base, 5, checks, &busy, &e);
	ok(busy && !strcmp(terra_health_status(checks), "ok"),
	   "... while others took 5%: busy, the baseline not judged");
	like(json_string_value(json_object_get(json_array_get(checks, 0), "detail")),
	     "below 80% of the registered baseline, not judged: other programs took 5% of the "
	     "host's CPUs",
	     "... and the detail says why");
	is_str(json_string_value(json_object_get(json_array_get(checks, 0), "status")), "skip",
	       "... the check skipped");
	json_decref(bench);
	bench = json_pack("{s:i, s:i}", "fp32_mflops", 10, "mem_bw_mbps", 10);
	json_decref(checks);
	checks = json_array();
	terra_health_baseline(bench, base, -1, checks, &busy, &e);
	is_str(json_string_value(json_object_get(json_array_get(checks, 0), "status")), "skip",
	       "no workload figures measured: the baseline is skipped, not failed");
	terra_health_add(checks, "memory", "fail", "1 word wrong", &e);
	is_str(terra_health_status(checks), "sick", "a failed memory check: sick");
	json_decref(bench);
	json_decref(base);
	json_decref(checks);
}

int main(void)
{
	const char *top = getenv("TERRA_TOP");

	if (sodium_init() < 0)
		return 1;
	test_fingerprint();
	test_place(top ? top : ".");
	test_health();
	return done_testing();
}
