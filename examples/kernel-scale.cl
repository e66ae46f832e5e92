/*
 * An example kernel for terra-run's kernel workload (examples/job-kernel.json):
 * y[i] = a * x[i] + b over 32-bit unsigned words, for i < n.
 */
__kernel void scale(__global const uint *x, __global uint *y, const uint a, const uint b,
                    const uint n)
{
	size_t i = get_global_id(0);

	if (i < n)
		y[i] = a * x[i] + b;
}
