#ifndef TERRA_TOPO_H
#define TERRA_TOPO_H
/*
 * Hardware topology through hwloc: PCI locality, NUMA nodes, CPU sets.
 * Tests feed recorded topologies (hwloc XML, HWLOC_XMLFILE / --replay) so
 * nothing depends on this machine.
 */
#include "err.h"

#include <stddef.h>
#include <stdint.h>

/* Binds the calling thread to the CPUs of NUMA node `node` (-1: no-op). */
int terra_topo_bind_numa(int node, terra_err *e);

typedef struct terra_topo terra_topo;

/* This machine's topology, PCI devices included. */
int terra_topo_load(terra_topo **t, terra_err *e);
/* A recorded topology: hwloc XML held in memory (`len` bytes, NUL-terminated). */
int terra_topo_load_xml(terra_topo **t, const char *xml, size_t len, terra_err *e);
void terra_topo_free(terra_topo *t);
/* The topology as hwloc XML, malloc'd and NUL-terminated (for --record). */
int terra_topo_export_xml(const terra_topo *t, char **xml, size_t *len, terra_err *e);

typedef struct terra_topo_host {
	int64_t packages, cores, threads, numa_nodes, memory_bytes;
} terra_topo_host;
void terra_topo_host_info(const terra_topo *t, terra_topo_host *h);

/*
 * Where a device sits. pci_bus_id ("0000:65:00.0") or NULL: a device with
 * a PCI id found in the topology gets its nearest NUMA node and the CPUs
 * next to it; anything else (a CPU device, an unknown id) gets the whole
 * machine: its CPU set, and its NUMA node when it has only one (else -1).
 * cpuset is a list like "0-15,32-47"; nodeset likewise for NUMA nodes.
 */
typedef struct terra_topo_place {
	int numa_node;
	int pci_found; /* 1 if the PCI id was found in the topology */
	char cpuset[256];
	char nodeset[64];
} terra_topo_place;
int terra_topo_place_device(const terra_topo *t, const char *pci_bus_id, terra_topo_place *p,
                            terra_err *e);

/*
 * The machine id of the contract: BLAKE2b-256 hex of /etc/machine-id (its
 * first line), or of the host name when there is none. hostname gets the
 * host name.
 */
int terra_topo_machine(char machine[65], char *hostname, size_t hostlen, terra_err *e);

/* Parses "dddd:bb:dd.f" (domain optional); 0 on success. */
int terra_topo_parse_busid(const char *s, unsigned *domain, unsigned *bus, unsigned *dev,
                           unsigned *func);

#endif
