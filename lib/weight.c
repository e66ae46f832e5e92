/*
 * weight.c: a meter record's weight from its verified work and rates
 * (terra-meter(1), Verified work): the one rule terra-meter signs by and
 * terra-settle checks by.
 */
#include "meter.h"

#include "record.h"

__extension__ typedef unsigned __int128 u128;

/* rate x score x us into *w, when it fits in 128 bits below INT64_MAX. -1: beyond. */
static int add_time(u128 *w, int64_t rate, int64_t score, int64_t us)
{
	u128 t;

	if (!rate || !score || !us)
		return 0;
	/* rate, score and time each below 2^63: the product may pass 128 bits */
	t = (u128)score * (u128)us;
	if (t > (u128)INT64_MAX || (u128)rate > (u128)INT64_MAX / t)
		return -1;
	*w += (u128)rate * t;
	return 0;
}

int terra_meter_weigh(const terra_meter_rates *rates, const int64_t verified[3], int64_t score,
                      int64_t kernel_us, int64_t replicated_us, int64_t *weight)
{
	u128 w = 0;

	for (int i = 0; i < 3; i++)
		if (rates->r[i] < 0 || verified[i] < 0)
			return -1;
	if (score < 0 || kernel_us < 0 || replicated_us < 0)
		return -1;
	w += (u128)rates->r[TERRA_WL_SHA256D] * (u128)verified[TERRA_WL_SHA256D];
	w += (u128)rates->r[TERRA_WL_SGEMM] * (u128)verified[TERRA_WL_SGEMM];
	if (add_time(&w, rates->r[TERRA_WL_KERNEL], score, kernel_us) < 0 ||
	    add_time(&w, 1, score, replicated_us) < 0)
		return -1;
	if (w > (u128)INT64_MAX)
		return -1;
	*weight = (int64_t)w;
	return 0;
}

const char *const terra_meter_rate_names[3] = {"sha256d", "sgemm", "kernel"};

int terra_meter_record_weight(const json_t *meter, int64_t *weight, terra_err *e)
{
	const json_t *verified = json_object_get(meter, "verified");
	const json_t *rates = json_object_get(meter, "rates");
	terra_meter_rates r;
	int64_t v[3], score, kernel_us, replicated_us = 0;

	if (!json_is_object(verified) || !json_is_object(rates))
		return terra_err_set(e, TERRA_E_INPUT, "fields 'verified' and 'rates' are needed");
	for (int i = 0; i < 3; i++)
		if (terra_rec_int(rates, terra_meter_rate_names[i], &r.r[i], e) < 0)
			return terra_err_wrap(e, "rates");
	if (terra_rec_int(verified, "sha256d", &v[TERRA_WL_SHA256D], e) < 0 ||
	    terra_rec_int(verified, "sgemm", &v[TERRA_WL_SGEMM], e) < 0 ||
	    terra_rec_int(verified, "kernel_us", &kernel_us, e) < 0 ||
	    terra_rec_int_opt(verified, "replicated_us", &replicated_us, e) < 0)
		return terra_err_wrap(e, "verified");
	if (terra_rec_int(meter, "score", &score, e) < 0)
		return -1;
	v[TERRA_WL_KERNEL] = 0;
	if (terra_meter_weigh(&r, v, score, kernel_us, replicated_us, weight) < 0)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "weight: a negative rate or amount, or beyond int64");
	return 0;
}
