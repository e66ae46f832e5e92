#ifndef TERRA_CLONES_H
#define TERRA_CLONES_H
/*
 * TERRA_WIDE_CLONES before a function: where the compiler can (GCC's and
 * clang's target_clones on x86-64), it is built for AVX-512 (x86-64-v4),
 * AVX2 (v3) and the baseline, and the widest the CPU has is picked when the
 * program loads; elsewhere, once. For loops written in the compiler's
 * vector types, which each version compiles to its own widths.
 */
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define TERRA_WIDE_CLONES                                                                          \
	__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
#endif
#ifndef TERRA_WIDE_CLONES
#define TERRA_WIDE_CLONES
#endif

#endif
