#ifndef TERRA_TOPO_H
#define TERRA_TOPO_H
/*
 * Hardware topology through hwloc: PCI locality, NUMA nodes, CPU sets.
 * Tests feed recorded topologies (hwloc XML, HWLOC_XMLFILE / --replay) so
 * nothing depends on this machine.
 */
#include "err.h"

/* Binds the calling thread to the CPUs of NUMA node `node` (-1: no-op). */
int terra_topo_bind_numa(int node, terra_err *e);

#endif
