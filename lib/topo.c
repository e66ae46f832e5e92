#include "topo.h"

#include <errno.h>
#include <hwloc.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct terra_topo {
	hwloc_topology_t topo;
};

static int topo_new(terra_topo **t, terra_err *e)
{
	*t = calloc(1, sizeof **t);
	if (!*t)
		return terra_err_sys(e, "topology");
	if (hwloc_topology_init(&(*t)->topo) < 0) {
		free(*t);
		*t = NULL;
		return terra_err_sys(e, "topology: hwloc init");
	}
	/* PCI devices are what places a GPU; bridges give it its NUMA node. */
	hwloc_topology_set_io_types_filter((*t)->topo, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
	return 0;
}

int terra_topo_load(terra_topo **t, terra_err *e)
{
	if (topo_new(t, e) < 0)
		return -1;
	if (hwloc_topology_load((*t)->topo) < 0) {
		terra_err_sys(e, "topology: hwloc load");
		terra_topo_free(*t);
		*t = NULL;
		return -1;
	}
	return 0;
}

int terra_topo_load_xml(terra_topo **t, const char *xml, size_t len, terra_err *e)
{
	if (topo_new(t, e) < 0)
		return -1;
	/* hwloc wants the length including the final NUL. */
	if (hwloc_topology_set_xmlbuffer((*t)->topo, xml, (int)len + 1) < 0 ||
	    hwloc_topology_load((*t)->topo) < 0) {
		terra_err_set(e, TERRA_E_INPUT, "topology: not a valid hwloc XML topology");
		terra_topo_free(*t);
		*t = NULL;
		return -1;
	}
	return 0;
}

void terra_topo_free(terra_topo *t)
{
	if (!t)
		return;
	hwloc_topology_destroy(t->topo);
	free(t);
}

int terra_topo_export_xml(const terra_topo *t, char **xml, size_t *len, terra_err *e)
{
	char *buf = NULL;
	int n = 0;

	if (hwloc_topology_export_xmlbuffer(t->topo, &buf, &n, 0) < 0)
		return terra_err_sys(e, "topology: export XML");
	*xml = strdup(buf);
	hwloc_free_xmlbuffer(t->topo, buf);
	if (!*xml)
		return terra_err_sys(e, "topology: export XML");
	*len = strlen(*xml);
	return 0;
}

void terra_topo_host_info(const terra_topo *t, terra_topo_host *h)
{
	hwloc_obj_t node = NULL;

	h->packages = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_PACKAGE);
	h->cores = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_CORE);
	h->threads = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_PU);
	h->numa_nodes = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_NUMANODE);
	h->memory_bytes = 0;
	while ((node = hwloc_get_next_obj_by_type(t->topo, HWLOC_OBJ_NUMANODE, node)))
		h->memory_bytes += (int64_t)node->attr->numanode.local_memory;
	if (h->packages < 1)
		h->packages = 1;
}

int terra_topo_parse_busid(const char *s, unsigned *domain, unsigned *bus, unsigned *dev,
                           unsigned *func)
{
	char tail;

	if (sscanf(s, "%x:%x:%x.%x%c", domain, bus, dev, func, &tail) == 4)
		return 0;
	*domain = 0;
	if (sscanf(s, "%x:%x.%x%c", bus, dev, func, &tail) == 3)
		return 0;
	return -1;
}

static void list_bitmap(hwloc_const_bitmap_t b, char *out, size_t outlen)
{
	hwloc_bitmap_list_snprintf(out, outlen, b);
}

int terra_topo_place_device(const terra_topo *t, const char *pci_bus_id, terra_topo_place *p,
                            terra_err *e)
{
	hwloc_obj_t root = hwloc_get_root_obj(t->topo), pci = NULL, near = root;
	unsigned domain, bus, dev, func;
	int first;

	memset(p, 0, sizeof *p);
	p->numa_node = -1;
	if (pci_bus_id && pci_bus_id[0]) {
		if (terra_topo_parse_busid(pci_bus_id, &domain, &bus, &dev, &func) < 0)
			return terra_err_set(e, TERRA_E_INPUT, "pci bus id '%s': not dddd:bb:dd.f",
			                     pci_bus_id);
		pci = hwloc_get_pcidev_by_busid(t->topo, domain, bus, dev, func);
		if (pci) {
			near = hwloc_get_non_io_ancestor_obj(t->topo, pci);
			p->pci_found = 1;
		}
	}
	if (!near || !near->cpuset)
		near = root;
	list_bitmap(near->cpuset, p->cpuset, sizeof p->cpuset);
	list_bitmap(near->nodeset, p->nodeset, sizeof p->nodeset);
	/* A PCI device is nearest to the first node of its locality; a device
	 * spread over the whole machine has one node only if the machine does. */
	first = hwloc_bitmap_first(near->nodeset);
	if (first >= 0 && (p->pci_found || hwloc_bitmap_weight(near->nodeset) == 1))
		p->numa_node = first;
	return 0;
}

int terra_topo_bind_numa(int node, terra_err *e)
{
	terra_topo *t = NULL;
	hwloc_obj_t obj;
	int rc = -1;

	if (node < 0)
		return 0;
	if (terra_topo_load(&t, e) < 0)
		return -1;
	obj = hwloc_get_numanode_obj_by_os_index(t->topo, (unsigned)node);
	if (!obj) {
		terra_err_set(e, TERRA_E_NOTFOUND, "bind to numa node %d: no such node", node);
		goto out;
	}
	if (hwloc_set_cpubind(t->topo, obj->cpuset, HWLOC_CPUBIND_THREAD) < 0) {
		terra_err_sys(e, "bind to numa node %d", node);
		goto out;
	}
	rc = 0;
out:
	terra_topo_free(t);
	return rc;
}

static void trim_line(char *s)
{
	s[strcspn(s, "\r\n")] = '\0';
}

int terra_topo_machine(char machine[65], char *hostname, size_t hostlen, terra_err *e)
{
	char id[256] = "", host[256] = "";
	unsigned char hash[32];
	const char *src;
	FILE *f;

	if (gethostname(host, sizeof host - 1) < 0)
		return terra_err_sys(e, "host name");
	f = fopen("/etc/machine-id", "r");
	if (f) {
		if (!fgets(id, sizeof id, f))
			id[0] = '\0';
		fclose(f);
		trim_line(id);
	}
	src = id[0] ? id : host;
	crypto_generichash(hash, sizeof hash, (const unsigned char *)src, strlen(src), NULL, 0);
	for (size_t i = 0; i < sizeof hash; i++)
		snprintf(machine + 2 * i, 3, "%02x", hash[i]);
	if (hostname && hostlen) {
		snprintf(hostname, hostlen, "%s", host);
	}
	return 0;
}
